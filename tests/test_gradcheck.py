"""Tests of nnbook.gradcheck: the checker is right when gradients are right, and fails when they are not."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnbook as nb
from nnbook import activations as act
from nnbook.gradcheck import (check_gradient, check_network_gradients, numerical_gradient,
                              relative_error)

TOL = 1e-7


# --- relative_error ---------------------------------------------------------------------------
def test_relative_error_special_values():
    a = np.array([1.0, -2.0, 3.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, np.zeros(3)) == 1.0
    assert relative_error(np.zeros(3), a) == 1.0
    assert relative_error(a, -a) == 1.0
    assert relative_error(a, 2 * a) == pytest.approx(1 / 3, rel=1e-15)
    # ||a - n|| / (||a|| + ||n||) by hand
    n = np.array([1.0, -2.0, 3.5])
    expected = 0.5 / (np.linalg.norm(a) + np.linalg.norm(n))
    assert relative_error(a, n) == pytest.approx(expected, rel=1e-15)


def test_relative_error_shapes():
    assert isinstance(relative_error(np.ones((2, 3)), np.ones((2, 3))), float)
    assert relative_error(np.ones((2, 3)), np.ones(6)) == 0.0  # flattened
    assert relative_error(3.0, 3.0) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(np.ones(3), np.ones(4))


vectors = arrays(np.float64, 5, elements=st.floats(-1e6, 1e6))


@given(vectors, vectors)
def test_relative_error_properties(a, n):
    r = relative_error(a, n)
    assert r == relative_error(n, a)  # symmetric
    assert 0.0 <= r <= 1.0 + 1e-15   # triangle inequality
    assert relative_error(a, a) == 0.0
    if np.any(a != 0):
        assert relative_error(2.5 * a, 2.5 * n) == pytest.approx(r, rel=1e-12, abs=1e-300)


# --- numerical_gradient -----------------------------------------------------------------------
def test_numerical_gradient_of_a_quadratic(rng):
    A = rng.normal(size=(4, 4))
    b = rng.normal(size=4)
    x = rng.normal(size=4)
    g = numerical_gradient(lambda: 0.5 * x @ A @ x + b @ x, x)
    assert g.shape == x.shape and g.dtype == np.float64
    # centred differences are exact for quadratics up to rounding
    assert relative_error(g, 0.5 * (A + A.T) @ x + b) < 1e-9


def test_numerical_gradient_of_exp(rng):
    X = rng.normal(size=(3, 4))
    g = numerical_gradient(lambda: float(np.exp(X).sum()), X)
    assert g.shape == (3, 4)
    assert relative_error(g, np.exp(X)) < TOL


def test_numerical_gradient_error_is_order_eps_squared():
    x = np.array([0.7])
    f = lambda: float(np.sin(x[0]))  # noqa: E731
    e1 = abs(numerical_gradient(f, x, eps=1e-2)[0] - np.cos(0.7))
    e2 = abs(numerical_gradient(f, x, eps=1e-3)[0] - np.cos(0.7))
    assert e1 / e2 == pytest.approx(100, rel=0.01)  # truncation error ~ eps^2 f'''/6


def test_numerical_gradient_restores_x_exactly(rng):
    x = rng.normal(size=(5, 3)) * 10.0 ** rng.integers(-5, 5, size=(5, 3))
    before = x.copy()
    numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    assert np.array_equal(x, before)  # bit for bit, not just close
    assert x.tobytes() == before.tobytes()


def test_numerical_gradient_rejects_bad_input():
    with pytest.raises(TypeError, match="needs float64 parameters"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))
    strided = np.zeros((4, 4))[:, ::2]
    assert strided.dtype == np.float64 and not strided.flags.c_contiguous
    with pytest.raises(ValueError, match="C-contiguous"):
        numerical_gradient(lambda: 0.0, strided)
    with pytest.raises(ValueError, match="C-contiguous"):
        numerical_gradient(lambda: 0.0, np.zeros((3, 2)).T)
    for eps in (0.0, -1e-6):
        with pytest.raises(ValueError, match="eps must be positive"):
            numerical_gradient(lambda: 0.0, np.zeros(3), eps=eps)


# --- check_gradient -------------------------------------------------------------------------
def test_check_gradient_accepts_a_right_gradient_and_leaves_x_alone(rng):
    Z = rng.normal(size=(3, 4))
    before = Z.copy()
    err = check_gradient(lambda z: float(np.sum(act.sigmoid(z))), act.sigmoid_prime, Z)
    assert err < TOL
    np.testing.assert_array_equal(Z, before)


def test_check_gradient_detects_a_wrong_gradient(rng):
    Z = rng.normal(size=(3, 4))
    f = lambda z: float(np.sum(act.sigmoid(z)))  # noqa: E731
    off_by_two = check_gradient(f, lambda z: 2 * act.sigmoid_prime(z), Z)
    assert off_by_two == pytest.approx(1 / 3, rel=1e-6)  # |2g - g| / (|2g| + |g|)
    # a classic slip: sigma'(z) written as sigma(z)(1 - z)
    slip = check_gradient(f, lambda z: act.sigmoid(z) * (1 - z), Z)
    assert slip > 1e-2
    # and a subtle one: one entry wrong by 1%
    def almost(z):
        g = act.sigmoid_prime(z)
        g[0, 0] *= 1.01
        return g
    assert 1e-5 < check_gradient(f, almost, Z) < 1e-2


def test_check_gradient_accepts_lists():
    assert check_gradient(lambda z: float(np.sum(z ** 2)), lambda z: 2 * z, [[1.0, 2.0]]) < TOL


# --- check_network_gradients ------------------------------------------------------------------
def _net_and_data(rng):
    net = nb.Network([3, 4, 2], hidden="sigmoid", output="linear", loss="mse", seed=7)
    return net, rng.normal(size=(3, 5)), rng.normal(size=(2, 5))


def test_check_network_gradients_passes_and_restores_parameters(rng):
    net, X, Y = _net_and_data(rng)
    theta = net.theta.copy()
    errors = check_network_gradients(net, X, Y)
    assert list(errors) == ["W1", "b1", "W2", "b2"]
    assert max(errors.values()) < TOL
    assert net.theta.tobytes() == theta.tobytes()


def test_check_network_gradients_detects_a_broken_backward(rng, monkeypatch):
    net, X, Y = _net_and_data(rng)
    hidden = net.layers[0]
    # the hidden layer "forgets" sigma': dZ = dA instead of dA * A (1 - A)
    monkeypatch.setattr(hidden, "g", dataclasses.replace(hidden.g, backward=lambda dA, Z, A: dA))
    errors = check_network_gradients(net, X, Y)
    assert errors["W1"] > 0.1 and errors["b1"] > 0.1
    # the output layer's gradients do not depend on the hidden backward: still right
    assert errors["W2"] < TOL and errors["b2"] < TOL


def test_check_network_gradients_detects_a_wrong_output_delta(rng, monkeypatch):
    net, X, Y = _net_and_data(rng)
    original = net.output_delta
    monkeypatch.setattr(net, "output_delta", lambda Y: 0.5 * original(Y))  # forgot the 2 of MSE
    errors = check_network_gradients(net, X, Y)
    assert min(errors.values()) == pytest.approx(1 / 3, rel=1e-5)


def test_check_network_gradients_detects_a_wrong_bias_gradient(rng, monkeypatch):
    """db as the mean of dZ over the batch (dividing by m a second time) is a classic slip."""
    net, X, Y = _net_and_data(rng)
    out = net.layers[1]
    real_backward = out.backward

    def backward(dA=None, dZ=None, need_dA_prev=True):
        result = real_backward(dA=dA, dZ=dZ, need_dA_prev=need_dA_prev)
        out.db[...] = out.dZ.mean(axis=1, keepdims=True)  # divides by m a second time
        return result

    monkeypatch.setattr(out, "backward", backward)
    errors = check_network_gradients(net, X, Y)
    assert errors["b2"] > 0.1
    assert errors["W2"] < TOL


def test_check_network_gradients_needs_float64(rng):
    net = nb.Network([3, 2], loss="mse", dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        check_network_gradients(net, rng.normal(size=(3, 4)), rng.normal(size=(2, 4)))
