"""Tests of nnbook.activations: values, ranges, derivatives, softmax, lookup, extremes, dtypes."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnbook import activations as act
from nnbook.gradcheck import check_gradient, numerical_gradient, relative_error

TOL = 1e-7  # relative error of a correct gradient in float64 (CONVENTIONS.md)

# name -> (function, derivative, points where it is not differentiable)
ELEMENTWISE = {
    "linear": (act.linear, act.linear_prime, ()),
    "step": (act.step, act.step_prime, (0.0,)),
    "sign": (act.sign, act.sign_prime, (0.0,)),
    "piecewise_linear": (act.piecewise_linear, act.piecewise_linear_prime, (-0.5, 0.5)),
    "sigmoid": (act.sigmoid, act.sigmoid_prime, ()),
    "tanh": (act.tanh, act.tanh_prime, ()),
    "relu": (act.relu, act.relu_prime, (0.0,)),
    "leaky_relu": (act.leaky_relu, act.leaky_relu_prime, (0.0,)),
}


def points_away_from(kinks, rng, n=60, low=-6.0, high=6.0, margin=1e-3):
    """``n`` float64 points in [low, high], none closer than ``margin`` to a kink."""
    z = rng.uniform(low, high, size=4 * n)
    for k in kinks:
        z = z[np.abs(z - k) > margin]
    assert z.size >= n
    return z[:n].reshape(6, -1)


# --- values at known points ---------------------------------------------------------------
def test_linear_is_identity():
    Z = np.array([[-2.5, 0.0, 3.0]])
    np.testing.assert_array_equal(act.linear(Z), Z)
    np.testing.assert_array_equal(act.linear_prime(Z), np.ones_like(Z))


def test_step_values_and_at_zero():
    Z = np.array([[-2.0, -1e-12, 0.0, 1e-12, 3.0]])
    np.testing.assert_array_equal(act.step(Z), [[0, 0, 0.5, 1, 1]])
    np.testing.assert_array_equal(act.step(Z, at_zero=1.0), [[0, 0, 1, 1, 1]])
    np.testing.assert_array_equal(act.step(Z, at_zero=0.0), [[0, 0, 0, 1, 1]])
    np.testing.assert_array_equal(act.step_prime(Z), np.zeros_like(Z))


def test_step_of_integers_keeps_the_half_at_zero():
    out = act.step(np.array([-2, 0, 3]))
    assert out.dtype.kind == "f"
    np.testing.assert_array_equal(out, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(act.step([-2, 0, 3]), [0.0, 0.5, 1.0])


def test_sign_values():
    np.testing.assert_array_equal(act.sign(np.array([-2.0, 0.0, 3.0])), [-1, 0, 1])
    np.testing.assert_array_equal(act.sign_prime(np.array([-2.0, 0.0, 3.0])), [0, 0, 0])


def test_piecewise_linear_values():
    Z = np.array([-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(act.piecewise_linear(Z), [0, 0, 0.25, 0.5, 0.75, 1, 1], atol=0)
    np.testing.assert_array_equal(act.piecewise_linear_prime(Z), [0, 0, 1, 1, 1, 0, 0])


def test_sigmoid_values():
    Z = np.array([0.0, math.log(3.0), -math.log(3.0), 0.52, 0.43])
    expected = [0.5, 0.75, 0.25, 1 / (1 + math.exp(-0.52)), 1 / (1 + math.exp(-0.43))]
    np.testing.assert_allclose(act.sigmoid(Z), expected, rtol=1e-15)
    np.testing.assert_allclose(act.sigmoid(np.array([0.52, 0.43])), [0.627, 0.606], atol=1e-3)
    assert act.sigmoid_prime(np.array(0.0)) == 0.25


def test_sigmoid_keeps_relative_precision_of_tiny_outputs():
    # the naive 1/(1+exp(700)) is right too, but 1 - sigmoid(700) style formulas would give 0
    assert act.sigmoid(np.array(-700.0)) == pytest.approx(math.exp(-700.0), rel=1e-12)
    assert act.sigmoid(np.array(-30.0)) == pytest.approx(math.exp(-30.0) / (1 + math.exp(-30.0)),
                                                       rel=1e-14)


def test_tanh_values():
    Z = np.array([0.0, math.atanh(0.5), -math.atanh(0.25)])
    np.testing.assert_allclose(act.tanh(Z), [0.0, 0.5, -0.25], rtol=1e-15, atol=0)
    np.testing.assert_allclose(act.tanh_prime(Z), [1.0, 0.75, 1 - 0.0625], rtol=1e-15)


def test_relu_and_leaky_relu_values():
    Z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(act.relu(Z), [0, 0, 3])
    np.testing.assert_array_equal(act.relu_prime(Z), [0, 0, 1])  # 0 at the kink, as documented
    np.testing.assert_allclose(act.leaky_relu(Z, alpha=0.1), [-0.2, 0, 3], rtol=1e-15)
    np.testing.assert_array_equal(act.leaky_relu(Z), [-0.02, 0, 3])  # default alpha 0.01
    np.testing.assert_array_equal(act.leaky_relu_prime(Z, alpha=0.1), [0.1, 0.1, 1])


def test_softmax_values():
    Z = np.array([[0.0, 7.0], [math.log(2.0), 7.0], [math.log(5.0), 7.0]])
    S = act.softmax(Z)
    np.testing.assert_allclose(S[:, 0], [1 / 8, 2 / 8, 5 / 8], rtol=1e-15)
    np.testing.assert_allclose(S[:, 1], [1 / 3] * 3, rtol=1e-15)
    # axis=1: samples in rows
    np.testing.assert_allclose(act.softmax(Z.T, axis=1), S.T, rtol=1e-15)
    assert S.shape == Z.shape


# --- ranges -------------------------------------------------------------------------------
finite64 = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(arrays(np.float64, st.integers(1, 30), elements=finite64))
def test_ranges(z):
    s = act.sigmoid(z)
    assert np.all((0 <= s) & (s <= 1))
    t = act.tanh(z)
    assert np.all((-1 <= t) & (t <= 1))
    assert np.all(act.relu(z) >= 0)
    p = act.piecewise_linear(z)
    assert np.all((0 <= p) & (p <= 1))
    assert set(np.unique(act.step(z))) <= {0.0, 0.5, 1.0}
    assert set(np.unique(act.sign(z))) <= {-1.0, 0.0, 1.0}
    S = act.softmax(z.reshape(-1, 1))
    assert np.all((0 <= S) & (S <= 1))


# --- derivatives against centred finite differences ------------------------------------------
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_prime_matches_finite_differences(name, rng):
    f, fprime, kinks = ELEMENTWISE[name]
    Z = points_away_from(kinks, rng)
    err = check_gradient(lambda z: float(np.sum(f(z))), fprime, Z)
    assert err < TOL, f"{name}_prime: relative error {err:.2e}"


def test_leaky_relu_prime_with_other_alpha(rng):
    Z = points_away_from((0.0,), rng)
    err = check_gradient(lambda z: float(np.sum(act.leaky_relu(z, alpha=0.3))),
                         lambda z: act.leaky_relu_prime(z, alpha=0.3), Z)
    assert err < TOL


def test_check_on_kinked_functions_is_not_vacuous(rng):
    # the sampled points do include both sides of each kink, so a wrong slope would show
    Z = points_away_from((0.0,), rng)
    assert (Z > 0).any() and (Z < 0).any()
    wrong = check_gradient(lambda z: float(np.sum(act.leaky_relu(z, alpha=0.3))),
                           lambda z: act.leaky_relu_prime(z, alpha=0.1), Z)
    assert wrong > 1e-3


@pytest.mark.parametrize("name", act.ACTIVATION_NAMES)
def test_activation_backward_matches_finite_differences(name, rng):
    """backward(dA, Z, A) is the gradient of sum(dA * g(Z)) for every activation, softmax too."""
    g = act.get_activation(name, alpha=0.05)
    kinks = ELEMENTWISE[name][2] if name in ELEMENTWISE else ()
    Z = points_away_from(kinks, rng)
    dA = rng.normal(size=Z.shape)
    err = check_gradient(lambda z: float(np.sum(dA * g.forward(z))),
                         lambda z: g.backward(dA, z, g.forward(z)), Z)
    assert err < TOL, f"{name}: relative error {err:.2e}"


@pytest.mark.parametrize("name", [n for n in act.ACTIVATION_NAMES if n != "softmax"])
def test_elementwise_backward_is_dA_times_prime(name, rng):
    g = act.get_activation(name)
    Z = rng.normal(size=(4, 7))
    dA = rng.normal(size=Z.shape)
    np.testing.assert_allclose(g.backward(dA, Z, g.forward(Z)), dA * g.prime(Z), rtol=1e-14,
                               atol=1e-300)


def test_softmax_jacobian_matches_finite_differences(rng):
    z = rng.normal(size=5)
    J = act.softmax_jacobian(z)
    assert J.shape == (5, 5)
    x = z.copy()
    J_num = np.stack([numerical_gradient(lambda: act.softmax(x.reshape(-1, 1))[k, 0], x)
                      for k in range(5)])
    assert relative_error(J, J_num) < TOL
    # diag(s) - s s^T: symmetric, every row and column sums to 0; (n, 1) input accepted
    np.testing.assert_allclose(J, J.T, atol=1e-17)
    np.testing.assert_allclose(J.sum(axis=0), 0, atol=1e-15)
    np.testing.assert_allclose(act.softmax_jacobian(z.reshape(-1, 1)), J, rtol=1e-15)


def test_softmax_backward_is_jacobian_transpose_product(rng):
    Z = rng.normal(size=(4, 6))
    dA = rng.normal(size=Z.shape)
    dZ = act.softmax_backward(dA, act.softmax(Z))
    expected = np.stack([act.softmax_jacobian(Z[:, i]).T @ dA[:, i] for i in range(6)], axis=1)
    np.testing.assert_allclose(dZ, expected, rtol=1e-12, atol=1e-15)


# --- lookup by name -----------------------------------------------------------------------
@pytest.mark.parametrize("name", act.ACTIVATION_NAMES)
def test_get_activation_by_name(name):
    g = act.get_activation(name)
    assert isinstance(g, act.Activation) and g.name == name
    Z = np.array([[-1.5, -0.2, 0.3, 2.0]])
    np.testing.assert_array_equal(g(Z), g.forward(Z))
    assert (g.prime is None) == (name == "softmax")


@pytest.mark.parametrize("alias, name", [
    ("identity", "linear"), ("heaviside", "step"), ("unit_step", "step"), ("signum", "sign"),
    ("logistic", "sigmoid"), ("hard_sigmoid", "piecewise_linear"), ("leakyrelu", "leaky_relu"),
    ("Leaky-ReLU", "leaky_relu"), ("ReLU", "relu"), ("Sigmoid", "sigmoid"), ("TANH", "tanh"),
])
def test_get_activation_aliases(alias, name):
    assert act.get_activation(alias).name == name


def test_get_activation_parameters_and_passthrough():
    Z = np.array([-2.0, 0.0, 2.0])
    np.testing.assert_allclose(act.get_activation("leaky_relu", alpha=0.2)(Z), [-0.4, 0, 2])
    np.testing.assert_array_equal(act.get_activation("leaky_relu", alpha=0.2).prime(Z), [0.2, 0.2, 1])
    np.testing.assert_array_equal(act.get_activation("step", at_zero=1.0)(Z), [0, 1, 1])
    g = act.get_activation("tanh")
    assert act.get_activation(g) is g


def test_get_activation_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'swish'") as info:
        act.get_activation("swish")
    for name in act.ACTIVATION_NAMES:
        assert name in str(info.value)
    with pytest.raises(TypeError, match="activation must be a name"):
        act.get_activation(3)


# --- extreme inputs: finite, warning-free ----------------------------------------------------
EXTREME64 = np.array([[0.0, 1e4, -1e4, 710.0, -710.0, 1e308, -1e308, 1e-300, -1e-300, 5e-324]])


@pytest.mark.parametrize("name", [n for n in act.ACTIVATION_NAMES if n != "softmax"])
def test_elementwise_extreme_inputs_finite_and_warning_free(name, no_warnings):
    g = act.get_activation(name)
    with no_warnings():
        A = g.forward(EXTREME64)
        P = g.prime(EXTREME64)
        dZ = g.backward(np.ones_like(EXTREME64), EXTREME64, A)
    for out in (A, P, dZ):
        assert np.all(np.isfinite(out)), (name, out)


def test_sigmoid_and_tanh_saturate_exactly(no_warnings):
    Z = np.array([1e4, -1e4, 710.0, -710.0, 1e308, -1e308])
    with no_warnings():
        np.testing.assert_array_equal(act.sigmoid(Z), [1, 0, 1, math.exp(-710.0), 1, 0])
        np.testing.assert_array_equal(act.tanh(Z), [1, -1, 1, -1, 1, -1])
        np.testing.assert_array_equal(act.sigmoid_prime(np.array([1e4, -1e4])), [0, 0])


def test_softmax_extreme_inputs_finite_and_warning_free(no_warnings):
    # (logit differences must themselves be representable: |z_i - z_j| < 1.8e308)
    Z = np.array([[1e4, 710.0, 1e307, 5.0, 1e308],
                  [-1e4, -710.0, -1e307, 5.0, 1e308],
                  [0.0, 3.0, 0.0, 5.0, 1e308]])
    dA = np.ones_like(Z)
    with no_warnings():
        S = act.softmax(Z)
        dZ = act.softmax_backward(dA, S)
    assert np.all(np.isfinite(S)) and np.all(np.isfinite(dZ))
    np.testing.assert_allclose(S.sum(axis=0), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(S[:, 0], [1, 0, 0])
    np.testing.assert_allclose(S[:, 4], [1 / 3] * 3, rtol=1e-15)


# --- dtypes -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", act.ACTIVATION_NAMES)
def test_dtype_is_preserved(name, dtype, no_warnings):
    g = act.get_activation(name)
    big = 1e38 if dtype == np.float32 else 1e300
    Z = np.array([[-3.0, -0.2, 0.0, 0.3, 2.0, 1e4, -1e4, 100.0, -100.0, big, -big]], dtype=dtype)
    Z = np.vstack([Z, Z[:, ::-1]])
    with no_warnings():
        A = g.forward(Z)
        dZ = g.backward(np.ones_like(Z), Z, A)
        outs = [A, dZ] + ([g.prime(Z)] if g.prime is not None else [])
    for out in outs:
        assert out.dtype == dtype, (name, out.dtype)
        assert np.all(np.isfinite(out))


def test_float32_softmax_jacobian_dtype():
    assert act.softmax_jacobian(np.array([1.0, 2.0], dtype=np.float32)).dtype == np.float32


# --- properties ---------------------------------------------------------------------------
moderate = st.floats(min_value=-40, max_value=40, allow_nan=False)


@given(arrays(np.float64, st.integers(1, 20), elements=moderate))
def test_sigmoid_symmetry(z):
    np.testing.assert_allclose(act.sigmoid(-z), 1.0 - act.sigmoid(z), rtol=0, atol=4e-16)


@given(arrays(np.float64, st.integers(2, 20), elements=finite64))
def test_sigmoid_is_monotone(z):
    assert np.all(np.diff(act.sigmoid(np.sort(z))) >= 0)


@given(arrays(np.float64, st.integers(1, 20), elements=moderate))
def test_tanh_is_a_rescaled_sigmoid(z):
    np.testing.assert_allclose(act.tanh(z), 2 * act.sigmoid(2 * z) - 1, rtol=0, atol=1e-15)


@given(arrays(np.float64, st.integers(1, 20), elements=finite64),
       st.floats(min_value=0.0, max_value=1.0))
def test_relu_family_identities(z, alpha):
    np.testing.assert_array_equal(act.relu(z) - act.relu(-z), z)
    np.testing.assert_array_equal(act.leaky_relu(z, alpha=alpha), np.maximum(z, alpha * z))


def _matrices(low, high):
    shapes = st.tuples(st.integers(1, 6), st.integers(1, 5))
    return arrays(np.float64, shapes, elements=st.floats(min_value=low, max_value=high))


@given(_matrices(-1e4, 1e4))
def test_softmax_columns_sum_to_one(Z):
    S = act.softmax(Z)
    assert S.shape == Z.shape
    np.testing.assert_allclose(S.sum(axis=0), 1.0, rtol=0, atol=1e-12)


@given(_matrices(-50, 50), st.data())
def test_softmax_shift_invariance(Z, data):
    c = data.draw(arrays(np.float64, (1, Z.shape[1]), elements=st.floats(-1e3, 1e3)))
    np.testing.assert_allclose(act.softmax(Z + c), act.softmax(Z), rtol=1e-9, atol=1e-15)


@given(_matrices(-30, 30))
def test_softmax_equals_naive_formula_for_moderate_inputs(Z):
    E = np.exp(Z)
    np.testing.assert_allclose(act.softmax(Z), E / E.sum(axis=0), rtol=1e-12)
