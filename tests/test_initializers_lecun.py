"""Tests of LeCun initialization (nnbook.initializers.lecun_normal / lecun_uniform)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nnbook as nb
from nnbook import initializers as init

# Non-square (n_out, n_in), so that fan-in vs fan-out mix-ups show (sqrt(1/500) vs sqrt(1/300)
# differ by 29%; sqrt(1/n_in) vs He's sqrt(2/n_in) by 41%).
N_OUT, N_IN = 300, 500
SHAPE = (N_OUT, N_IN)
N = N_OUT * N_IN
REL = 0.02  # ~10 standard errors of a sample std of N draws (1/sqrt(2N) ~ 0.18%)


@pytest.mark.parametrize("name", ["lecun_normal", "lecun_uniform"])
def test_variance_is_one_over_fan_in(name):
    W = init.get_initializer(name)(SHAPE, 11)
    assert W.shape == SHAPE and W.dtype == np.float64
    assert W.var() == pytest.approx(1 / N_IN, rel=2 * REL)
    assert abs(W.mean()) < 5 * math.sqrt(1 / N_IN) / math.sqrt(N)
    # uses the fan-in only: transposing the shape changes the variance to 1/300
    assert init.get_initializer(name)((N_IN, N_OUT), 11).var() == pytest.approx(1 / N_OUT, rel=2 * REL)


def test_lecun_uniform_limits_and_flat_histogram():
    limit = math.sqrt(3 / N_IN)
    W = init.lecun_uniform(SHAPE, 12)
    assert np.abs(W).max() <= limit and np.abs(W).max() > 0.999 * limit
    counts, _ = np.histogram(W, bins=4, range=(-limit, limit))
    np.testing.assert_allclose(counts / N, 0.25, atol=0.01)


def test_lecun_is_he_over_sqrt2_and_xavier_for_square_layers():
    # the same generator stream scaled: LeCun = He / sqrt(2); for n_in = n_out, LeCun = Xavier
    np.testing.assert_allclose(init.lecun_normal((40, 30), 3), init.he_normal((40, 30), 3) / math.sqrt(2),
                               rtol=1e-12)
    np.testing.assert_allclose(init.lecun_normal((30, 30), 3), init.xavier_normal((30, 30), 3), rtol=1e-12)
    np.testing.assert_allclose(init.lecun_uniform((40, 30), 3), init.he_uniform((40, 30), 3) / math.sqrt(2),
                               rtol=1e-12)


@pytest.mark.parametrize("name", ["lecun_normal", "lecun_uniform"])
def test_seed_lookup_and_errors(name):
    f = init.get_initializer(name)
    assert f is getattr(init, name) and name in init.INITIALIZER_NAMES
    assert init.get_initializer(name.upper().replace("_", "-")) is f
    np.testing.assert_array_equal(f((20, 30), 7), f((20, 30), np.random.default_rng(7)))
    assert not np.array_equal(f((20, 30), 7), f((20, 30), 8))
    for shape in [(3,), (0, 3), (3, 0), (2, 3, 4)]:
        with pytest.raises(ValueError, match=r"a weight shape is \(n_out, n_in\) with both >= 1"):
            f(shape, 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_and_network_accept_lecun(dtype):
    layer = nb.Dense(500, 300, "tanh", init="lecun_normal", rng=1, dtype=dtype)
    assert layer.W.dtype == dtype
    assert float(layer.W.var()) == pytest.approx(1 / 500, rel=2 * REL)
    net = nb.Network([64, 64, 64, 1], hidden="tanh", init="lecun_uniform", seed=2)
    assert float(net.layers[1].W.var()) == pytest.approx(1 / 64, rel=0.15)  # 4096 draws: ~10 s.e.
    assert np.abs(net.layers[1].W).max() <= math.sqrt(3 / 64)
