"""Tests of nnbook.initializers: shapes, determinism, statistics, errors, lookup."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnbook import initializers as init

RANDOM = ["normal", "uniform", "xavier_normal", "xavier_uniform", "he_normal", "he_uniform"]

# A non-square shape (n_out, n_in) = (300, 500), so that mixing up fan-in and fan-out shows.
N_OUT, N_IN = 300, 500
SHAPE = (N_OUT, N_IN)
N = N_OUT * N_IN
# The sample std of N normal draws has relative standard error 1/sqrt(2N) ~ 0.18%; 2% is ~10
# standard errors, while every plausible mistake (fan-in vs fan-out, std vs variance,
# sqrt(6) vs sqrt(2) limits) is off by at least 15%.
REL = 0.02


@pytest.mark.parametrize("name", init.INITIALIZER_NAMES)
@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (10, 784)])
def test_shape_and_dtype(name, shape):
    W = init.get_initializer(name)(shape, 0)
    assert W.shape == shape
    assert W.dtype == np.float64
    assert isinstance(W, np.ndarray)


@pytest.mark.parametrize("name", RANDOM)
def test_same_seed_same_weights(name):
    f = init.get_initializer(name)
    np.testing.assert_array_equal(f((20, 30), 7), f((20, 30), 7))
    np.testing.assert_array_equal(f((20, 30), np.random.default_rng(7)), f((20, 30), 7))
    np.testing.assert_array_equal(f((20, 30), np.int64(7)), f((20, 30), 7))
    np.testing.assert_array_equal(f((20, 30), None), f((20, 30), 0))  # None means seed 0
    assert not np.array_equal(f((20, 30), 7), f((20, 30), 8))


@pytest.mark.parametrize("name", RANDOM)
def test_a_generator_is_advanced(name):
    f = init.get_initializer(name)
    g = np.random.default_rng(3)
    first, second = f((5, 4), g), f((5, 4), g)
    assert not np.array_equal(first, second)


def test_as_generator():
    g = np.random.default_rng(1)
    assert init.as_generator(g) is g
    assert isinstance(init.as_generator(None), np.random.Generator)
    assert init.as_generator(5).integers(1 << 30) == np.random.default_rng(5).integers(1 << 30)
    for bad in (True, 1.5, "0", [1]):
        with pytest.raises(TypeError, match="rng must be an int seed or a numpy.random.Generator"):
            init.as_generator(bad)


# --- statistics -------------------------------------------------------------------------------
@pytest.mark.parametrize("name, std", [
    ("xavier_normal", math.sqrt(2 / (N_IN + N_OUT))),
    ("xavier_uniform", math.sqrt(2 / (N_IN + N_OUT))),
    ("he_normal", math.sqrt(2 / N_IN)),
    ("he_uniform", math.sqrt(2 / N_IN)),
])
def test_scale(name, std):
    W = init.get_initializer(name)(SHAPE, 11)
    assert W.std() == pytest.approx(std, rel=REL)
    assert abs(W.mean()) < 5 * std / math.sqrt(N)


@pytest.mark.parametrize("name, limit", [
    ("xavier_uniform", math.sqrt(6 / (N_IN + N_OUT))),
    ("he_uniform", math.sqrt(6 / N_IN)),
])
def test_uniform_limits(name, limit):
    W = init.get_initializer(name)(SHAPE, 12)
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.999 * limit  # and the whole interval is used
    assert W.var() == pytest.approx(limit ** 2 / 3, rel=REL)
    # uniform, not normal: a quarter of the draws in each quarter of the interval
    counts, _ = np.histogram(W, bins=4, range=(-limit, limit))
    np.testing.assert_allclose(counts / N, 0.25, atol=0.01)


def test_normal_and_uniform_with_parameters():
    W = init.normal(SHAPE, 1, std=0.3)
    assert W.std() == pytest.approx(0.3, rel=REL)
    U = init.uniform(SHAPE, 1, limit=0.2)
    assert np.abs(U).max() <= 0.2
    assert U.std() == pytest.approx(0.2 / math.sqrt(3), rel=REL)
    assert init.normal(SHAPE, 0).std() == pytest.approx(0.01, rel=REL)  # default std 0.01
    assert np.abs(init.uniform(SHAPE, 0)).max() == pytest.approx(0.05, rel=1e-3)  # limit 0.05
    np.testing.assert_array_equal(init.normal((2, 3), 0, std=0.0), np.zeros((2, 3)))


@pytest.mark.parametrize("draw, gain", [(init.he_normal, 2), (init.lecun_normal, 1)])
def test_normal_is_gaussian(draw, gain):
    """About 68.3% of normal draws lie within one std, 95.4% within two (uniform: 57.7%, 100%)."""
    W = draw(SHAPE, 5)
    s = math.sqrt(gain / N_IN)
    assert np.mean(np.abs(W) < s) == pytest.approx(0.6827, abs=0.01)
    assert np.mean(np.abs(W) < 2 * s) == pytest.approx(0.9545, abs=0.01)


def test_xavier_uses_fan_in_plus_fan_out_and_he_only_fan_in():
    wide, tall = init.he_normal((50, 2000), 0), init.he_normal((2000, 50), 0)
    assert wide.std() == pytest.approx(math.sqrt(2 / 2000), rel=REL)
    assert tall.std() == pytest.approx(math.sqrt(2 / 50), rel=REL)
    assert init.xavier_normal((50, 2000), 0).std() == pytest.approx(
        init.xavier_normal((2000, 50), 1).std(), rel=REL)


# --- deterministic initializers -----------------------------------------------------------------
def test_zeros_and_constant():
    np.testing.assert_array_equal(init.zeros((3, 4)), np.zeros((3, 4)))
    np.testing.assert_array_equal(init.zeros((3, 4), rng=5), np.zeros((3, 4)))
    C = init.constant((2, 5), value=0.7)
    assert C.dtype == np.float64
    np.testing.assert_array_equal(C, np.full((2, 5), 0.7))
    np.testing.assert_array_equal(init.constant((2, 2)), np.zeros((2, 2)))


# --- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["xavier_normal", "xavier_uniform", "he_normal", "he_uniform"])
@pytest.mark.parametrize("shape", [(3,), (0, 3), (3, 0), (2, 3, 4), (-1, 2)])
def test_fan_based_initializers_reject_bad_shapes(name, shape):
    with pytest.raises(ValueError, match=r"a weight shape is \(n_out, n_in\) with both >= 1"):
        init.get_initializer(name)(shape, 0)


@pytest.mark.parametrize("bad", [-0.1, float("nan")])
def test_negative_or_nan_scale_rejected(bad):
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal((2, 2), 0, std=bad)
    with pytest.raises(ValueError, match="limit must be >= 0"):
        init.uniform((2, 2), 0, limit=bad)


# --- lookup -----------------------------------------------------------------------------------
@pytest.mark.parametrize("alias, name", [
    ("glorot_normal", "xavier_normal"), ("glorot_uniform", "xavier_uniform"),
    ("xavier", "xavier_normal"), ("glorot", "xavier_normal"), ("he", "he_normal"),
    ("kaiming_normal", "he_normal"), ("kaiming_uniform", "he_uniform"), ("zero", "zeros"),
    ("He-Normal", "he_normal"), ("XAVIER_UNIFORM", "xavier_uniform"),
])
def test_aliases(alias, name):
    assert init.get_initializer(alias) is getattr(init, name)


def test_lookup_passthrough_and_unknown():
    def mine(shape, rng=None):
        return np.ones(shape)

    assert init.get_initializer(mine) is mine
    with pytest.raises(ValueError, match="unknown initializer 'lecun'") as info:
        init.get_initializer("lecun")
    for name in init.INITIALIZER_NAMES:
        assert name in str(info.value)


def test_default_initializer():
    assert init.default_initializer("relu") == "he_normal"
    assert init.default_initializer("leaky_relu") == "he_normal"
    for name in ("sigmoid", "tanh", "linear", "softmax"):
        assert init.default_initializer(name) == "xavier_normal"
