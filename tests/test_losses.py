"""Tests of nnbook.losses: hand-computed values, gradients, batch scaling, extremes, errors, lookup."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnbook import losses as L
from nnbook.activations import sigmoid, softmax
from nnbook.gradcheck import check_gradient

TOL = 1e-7

# a small regression example: residuals R = Y_hat - Y = [[1, 0], [2, -3]]
Y_HAT = np.array([[1.0, 2.0], [3.0, -2.0]])
Y_REG = np.array([[0.0, 2.0], [1.0, 1.0]])


# --- hand-computed values -------------------------------------------------------------------
def test_mse_value_with_and_without_half():
    # squared residuals 1 + 0 + 4 + 9 = 14, m = 2
    assert L.mse(Y_HAT, Y_REG) == pytest.approx(7.0, rel=1e-15)
    assert L.mse(Y_HAT, Y_REG, half=True) == pytest.approx(3.5, rel=1e-15)
    assert isinstance(L.mse(Y_HAT, Y_REG), float)


def test_mae_value():
    assert L.mae(Y_HAT, Y_REG) == pytest.approx((1 + 0 + 2 + 3) / 2, rel=1e-15)


def test_huber_value_both_regimes():
    # delta = 1: |r| = 1 -> 1/2 (quadratic, at the boundary), 0 -> 0, 2 -> 1.5, 3 -> 2.5
    assert L.huber(Y_HAT, Y_REG) == pytest.approx((0.5 + 0 + 1.5 + 2.5) / 2, rel=1e-15)
    # delta = 2: 1 -> 1/2, 2 -> 2 (quadratic), 3 -> 2 (3 - 1) = 4 (linear)
    assert L.huber(Y_HAT, Y_REG, delta=2.0) == pytest.approx((0.5 + 0 + 2 + 4) / 2, rel=1e-15)
    # all quadratic when delta is large: half the MSE
    assert L.huber(Y_HAT, Y_REG, delta=10.0) == pytest.approx(L.mse(Y_HAT, Y_REG, half=True))


def test_huber_is_continuous_at_delta():
    delta = 1.5
    below = L.huber(np.array([[delta - 1e-9]]), np.array([[0.0]]), delta=delta)
    above = L.huber(np.array([[delta + 1e-9]]), np.array([[0.0]]), delta=delta)
    assert below == pytest.approx(0.5 * delta ** 2, abs=1e-8)
    assert above == pytest.approx(0.5 * delta ** 2, abs=1e-8)


def test_binary_cross_entropy_value():
    A = np.array([[0.9, 0.2, 0.6]])
    Y = np.array([[1.0, 0.0, 1.0]])
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.6)) / 3
    assert L.binary_cross_entropy(A, Y) == pytest.approx(expected, rel=1e-14)
    # two outputs per sample: the per-sample loss sums over units, the cost averages over m = 1
    A2, Y2 = np.array([[0.9], [0.2]]), np.array([[1.0], [0.0]])
    assert L.binary_cross_entropy(A2, Y2) == pytest.approx(-math.log(0.9) - math.log(0.8))


def test_binary_cross_entropy_on_logits_agrees_with_probabilities(rng):
    Z = rng.normal(scale=3, size=(2, 7))
    Y = (rng.uniform(size=Z.shape) < 0.5).astype(float)
    assert L.binary_cross_entropy_with_logits(Z, Y) == pytest.approx(
        L.binary_cross_entropy(sigmoid(Z), Y), rel=1e-12)
    # soft targets too
    Ys = rng.uniform(size=Z.shape)
    assert L.binary_cross_entropy_with_logits(Z, Ys) == pytest.approx(
        L.binary_cross_entropy(sigmoid(Z), Ys), rel=1e-12)


def test_categorical_cross_entropy_value():
    A = np.array([[0.7, 0.1], [0.2, 0.6], [0.1, 0.3]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    expected = -(math.log(0.7) + math.log(0.6)) / 2
    assert L.categorical_cross_entropy(A, Y) == pytest.approx(expected, rel=1e-14)
    assert L.categorical_cross_entropy(A, Y) > 0  # the loss, not the log-likelihood


def test_softmax_cross_entropy_agrees_with_cce_of_softmax(rng):
    Z = rng.normal(scale=3, size=(4, 6))
    Y = np.eye(4)[:, rng.integers(0, 4, size=6)]
    assert L.softmax_cross_entropy(Z, Y) == pytest.approx(
        L.categorical_cross_entropy(softmax(Z), Y), rel=1e-12)
    P = softmax(rng.normal(size=(4, 6)))  # soft targets, columns sum to 1
    assert L.softmax_cross_entropy(Z, P) == pytest.approx(
        L.categorical_cross_entropy(softmax(Z), P), rel=1e-12)


def test_logsumexp(rng):
    Z = rng.normal(size=(5, 3))
    out = L.logsumexp(Z)
    assert out.shape == (1, 3)
    np.testing.assert_allclose(out, np.log(np.exp(Z).sum(axis=0, keepdims=True)), rtol=1e-14)
    np.testing.assert_allclose(L.logsumexp(np.array([[1e4], [1e4]])), [[1e4 + math.log(2)]],
                               rtol=1e-15)


def test_perfect_predictions_cost_zero():
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    for f in (L.mse, L.mae, L.huber):
        assert f(Y, Y) == 0.0
    assert L.binary_cross_entropy(Y, Y) == pytest.approx(0.0, abs=1e-14)
    assert L.categorical_cross_entropy(Y, Y) == pytest.approx(0.0, abs=1e-14)


# --- gradients against centred finite differences ---------------------------------------------
def _regression_data(rng, shape=(3, 5)):
    Y = rng.normal(size=shape)
    R = rng.uniform(0.05, 3.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return Y + R, Y  # |residuals| in [0.05, 3]: away from the kink of MAE


def _probability_data(rng, shape=(3, 5)):
    A = rng.uniform(0.05, 0.95, size=shape)
    Y = (rng.uniform(size=shape) < 0.5).astype(float)
    return A, Y


def _softmax_data(rng, shape=(4, 5)):
    Z = rng.normal(scale=2, size=shape)
    Y = np.eye(shape[0])[:, rng.integers(0, shape[0], size=shape[1])]
    return Z, Y


CASES = {
    "mse": (L.mse, L.mse_grad, _regression_data),
    "mse_half": (lambda a, y: L.mse(a, y, half=True), lambda a, y: L.mse_grad(a, y, half=True),
                 _regression_data),
    "mae": (L.mae, L.mae_grad, _regression_data),
    "huber": (L.huber, L.huber_grad, _regression_data),
    "huber_delta_0.7": (lambda a, y: L.huber(a, y, delta=0.7),
                        lambda a, y: L.huber_grad(a, y, delta=0.7), _regression_data),
    "bce": (L.binary_cross_entropy, L.binary_cross_entropy_grad, _probability_data),
    "bce_logits": (L.binary_cross_entropy_with_logits, L.binary_cross_entropy_with_logits_grad,
                   lambda rng: (rng.normal(scale=2, size=(3, 5)), _probability_data(rng)[1])),
    "cce": (L.categorical_cross_entropy, L.categorical_cross_entropy_grad,
            lambda rng: (softmax(rng.normal(size=(4, 5))), _softmax_data(rng)[1])),
    "softmax_cce": (L.softmax_cross_entropy, L.softmax_cross_entropy_grad, _softmax_data),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gradient_matches_finite_differences(case, rng):
    value, grad, data = CASES[case]
    A, Y = data(rng)
    if case.startswith("huber"):  # keep residuals away from the switch at |r| = delta
        delta = 0.7 if "0.7" in case else 1.0
        R = A - Y
        assert np.min(np.abs(np.abs(R) - delta)) > 1e-4, "pick another seed"
    err = check_gradient(lambda a: value(a, Y), lambda a: grad(a, Y), A)
    assert err < TOL, f"{case}: relative error {err:.2e}"


def test_huber_gradient_check_covers_both_regimes(rng):
    A, Y = _regression_data(rng)
    R = np.abs(A - Y)
    assert (R < 1.0).any() and (R > 1.0).any()


def test_softmax_cross_entropy_grad_with_soft_targets(rng):
    Z = rng.normal(size=(3, 4))
    Y = rng.uniform(size=(3, 4))  # columns do not sum to 1: the general formula is needed
    err = check_gradient(lambda z: L.softmax_cross_entropy(z, Y),
                         lambda z: L.softmax_cross_entropy_grad(z, Y), Z)
    assert err < TOL


def test_fused_gradients_are_A_minus_Y_over_m(rng):
    Z, Y = _softmax_data(rng)
    m = Z.shape[1]
    np.testing.assert_allclose(L.softmax_cross_entropy_grad(Z, Y), (softmax(Z) - Y) / m,
                               rtol=1e-14, atol=1e-17)
    Yb = (Z > 0).astype(float)
    np.testing.assert_allclose(L.binary_cross_entropy_with_logits_grad(Z, Yb),
                               (sigmoid(Z) - Yb) / m, rtol=1e-14, atol=1e-17)


@pytest.mark.parametrize("case", list(CASES))
def test_gradients_are_divided_by_m(case, rng):
    """Repeating the batch leaves the cost unchanged and halves every gradient entry."""
    value, grad, data = CASES[case]
    A, Y = data(rng)
    A2, Y2 = np.hstack([A, A]), np.hstack([Y, Y])
    assert value(A2, Y2) == pytest.approx(value(A, Y), rel=1e-14)
    G, G2 = grad(A, Y), grad(A2, Y2)
    assert G2.shape == A2.shape
    np.testing.assert_allclose(G2[:, :A.shape[1]], G / 2, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(G2[:, A.shape[1]:], G / 2, rtol=1e-14, atol=1e-300)


def test_mse_grad_explicit():
    np.testing.assert_allclose(L.mse_grad(Y_HAT, Y_REG), (2 / 2) * (Y_HAT - Y_REG))
    np.testing.assert_allclose(L.mse_grad(Y_HAT, Y_REG, half=True), (1 / 2) * (Y_HAT - Y_REG))
    np.testing.assert_array_equal(L.mae_grad(Y_HAT, Y_REG), np.sign(Y_HAT - Y_REG) / 2)
    np.testing.assert_array_equal(L.huber_grad(Y_HAT, Y_REG), [[0.5, 0], [0.5, -0.5]])


# --- extreme inputs ---------------------------------------------------------------------------
def test_bce_with_logits_extreme_logits(no_warnings):
    Z = np.array([[1e4, -1e4, 1e4, -1e4, 0.0, 1e300, -1e300]])
    Y = np.array([[1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]])
    with no_warnings():
        J = L.binary_cross_entropy_with_logits(Z, Y)
        G = L.binary_cross_entropy_with_logits_grad(Z, Y)
    # right with certainty: 0; wrong with logit 1e4: exactly 1e4 each; z = 0: log 2
    assert J == pytest.approx((1e4 + 1e4 + math.log(2)) / 7, rel=1e-15)
    np.testing.assert_array_equal(G, np.array([[0, 0, 1, -1, -0.5, 0, 0]]) / 7)


def test_softmax_cross_entropy_extreme_logits(no_warnings):
    Z = np.array([[1e4, -1e4], [-1e4, 1e4], [0.0, 0.0]])
    Y = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    with no_warnings():
        J = L.softmax_cross_entropy(Z, Y)
        G = L.softmax_cross_entropy_grad(Z, Y)
    assert J == pytest.approx((2e4 + 0.0) / 2, rel=1e-15)
    np.testing.assert_array_equal(G, np.array([[1, 0], [-1, 0], [0, 0]]) / 2)


def test_probability_losses_at_exactly_zero_and_one(no_warnings):
    A = np.array([[0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    with no_warnings():
        J = L.binary_cross_entropy(A, Y)
        G = L.binary_cross_entropy_grad(A, Y)
        P = np.array([[1.0, 0.0], [0.0, 1.0]])
        Yc = np.array([[0.0, 1.0], [1.0, 0.0]])
        Jc = L.categorical_cross_entropy(P, Yc)
        Gc = L.categorical_cross_entropy_grad(P, Yc)
        J_right = L.categorical_cross_entropy(P, P)
    assert np.isfinite(J) and np.all(np.isfinite(G))
    assert np.isfinite(Jc) and np.all(np.isfinite(Gc))
    # a certain wrong answer costs -log(eps), about 36 nats, not infinity
    eps = np.finfo(np.float64).eps
    assert J == pytest.approx(2 * -math.log(eps) / 4, rel=1e-6)
    assert Jc == pytest.approx(-math.log(eps), rel=1e-12)
    assert J_right == pytest.approx(0.0, abs=1e-14)
    assert G[0, 2] < 0 < G[0, 3]  # pushes the wrong probabilities the right way


def test_float32_losses(no_warnings):
    Z = np.array([[3.0, -1e4, 1e4], [0.5, 2.0, -1e4]], dtype=np.float32)
    Y = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    with no_warnings():
        for value, grad in [(L.mse, L.mse_grad), (L.mae, L.mae_grad), (L.huber, L.huber_grad),
                            (L.binary_cross_entropy_with_logits,
                             L.binary_cross_entropy_with_logits_grad),
                            (L.softmax_cross_entropy, L.softmax_cross_entropy_grad)]:
            assert np.isfinite(value(Z, Y))
            assert grad(Z, Y).dtype == np.float32
        A = sigmoid(Z)
        assert L.binary_cross_entropy_grad(A, Y).dtype == np.float32
        assert np.isfinite(L.binary_cross_entropy(A, Y))


# --- errors ---------------------------------------------------------------------------------
ALL_LOSSES = [L.mse, L.mae, L.huber, L.binary_cross_entropy, L.binary_cross_entropy_with_logits,
              L.categorical_cross_entropy, L.softmax_cross_entropy,
              L.mse_grad, L.mae_grad, L.huber_grad, L.binary_cross_entropy_grad,
              L.binary_cross_entropy_with_logits_grad, L.categorical_cross_entropy_grad,
              L.softmax_cross_entropy_grad]


@pytest.mark.parametrize("f", ALL_LOSSES, ids=lambda f: f.__name__)
def test_transposed_targets_raise_with_hint(f):
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(5, 3\).*samples in columns"):
        f(np.full((3, 5), 0.5), np.zeros((5, 3)))


@pytest.mark.parametrize("f", ALL_LOSSES, ids=lambda f: f.__name__)
def test_label_vector_targets_raise_with_hint(f):
    with pytest.raises(ValueError, match=r"reshape the targets to \(n_L, m\)"):
        f(np.full((1, 5), 0.5), np.zeros(5))


@pytest.mark.parametrize("f", ALL_LOSSES, ids=lambda f: f.__name__)
def test_nan_targets_rejected(f):
    Y = np.zeros((2, 3))
    Y[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        f(np.full((2, 3), 0.5), Y)
    Y[1, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        f(np.full((2, 3), 0.5), Y)


def test_other_shape_mismatch_and_scalars():
    with pytest.raises(ValueError, match=r"mse: predictions have shape \(2, 3\) but targets have "
                                         r"shape \(2, 4\)"):
        L.mse(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="scalars"):
        L.mse(1.0, 2.0)


@pytest.mark.parametrize("delta", [0.0, -1.0, float("nan")])
def test_huber_rejects_non_positive_delta(delta):
    with pytest.raises(ValueError, match="delta must be positive"):
        L.huber(np.zeros((1, 2)), np.zeros((1, 2)), delta=delta)
    with pytest.raises(ValueError, match="delta must be positive"):
        L.huber_grad(np.zeros((1, 2)), np.zeros((1, 2)), delta=delta)


# --- lookup -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, key, on_logits", [
    ("mse", "mse", False), ("l2", "mse", False), ("MAE", "mae", False), ("l1", "mae", False),
    ("huber", "huber", False), ("bce", "binary_cross_entropy", False),
    ("binary-cross-entropy", "binary_cross_entropy", False),
    ("bce_logits", "binary_cross_entropy_with_logits", True),
    ("cce", "categorical_cross_entropy", False),
    ("cross_entropy", "categorical_cross_entropy", False),
    ("softmax_cce", "softmax_cross_entropy", True),
    ("softmax_cross_entropy", "softmax_cross_entropy", True),
])
def test_get_loss_names(name, key, on_logits):
    loss = L.get_loss(name)
    assert loss.name == key and loss.on_logits is on_logits
    A, Y = np.array([[0.3, 0.9], [0.7, 0.1]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    assert loss(A, Y) == loss.value(A, Y)


def test_get_loss_kwargs():
    half = L.get_loss("mse", half=True)
    assert half.value(Y_HAT, Y_REG) == pytest.approx(L.mse(Y_HAT, Y_REG) / 2, rel=1e-15)
    np.testing.assert_allclose(half.grad(Y_HAT, Y_REG), L.mse_grad(Y_HAT, Y_REG) / 2, rtol=1e-15)
    hub = L.get_loss("huber", delta=2.0)
    assert hub.value(Y_HAT, Y_REG) == pytest.approx(3.25, rel=1e-15)
    np.testing.assert_allclose(hub.grad(Y_HAT, Y_REG), L.huber_grad(Y_HAT, Y_REG, delta=2.0))
    assert hub.value(Y_HAT, Y_REG) != L.get_loss("huber").value(Y_HAT, Y_REG)


def test_get_loss_passthrough_and_errors():
    loss = L.get_loss("mse")
    assert L.get_loss(loss) is loss
    with pytest.raises(ValueError, match="unknown loss 'hinge'") as info:
        L.get_loss("hinge")
    for name in L.LOSS_NAMES + ("bce", "cce"):
        assert name in str(info.value)
    with pytest.raises(TypeError, match="loss must be a name"):
        L.get_loss(None)


# --- properties -------------------------------------------------------------------------------
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)),
              elements=st.floats(-1e4, 1e4)), st.data())
def test_bce_with_logits_properties(Z, data):
    Y = data.draw(arrays(np.float64, Z.shape, elements=st.sampled_from([0.0, 1.0])))
    J = L.binary_cross_entropy_with_logits(Z, Y)
    assert np.isfinite(J) and J >= 0
    # flipping both the logits and the labels changes nothing
    assert L.binary_cross_entropy_with_logits(-Z, 1 - Y) == pytest.approx(J, rel=1e-12, abs=1e-12)


@given(arrays(np.float64, st.tuples(st.integers(2, 5), st.integers(1, 6)),
              elements=st.floats(-1e4, 1e4)), st.data())
def test_softmax_cross_entropy_properties(Z, data):
    labels = data.draw(arrays(np.int64, Z.shape[1], elements=st.integers(0, Z.shape[0] - 1)))
    Y = np.eye(Z.shape[0])[:, labels]
    J = L.softmax_cross_entropy(Z, Y)
    assert np.isfinite(J) and J >= 0
    G = L.softmax_cross_entropy_grad(Z, Y)
    np.testing.assert_allclose(G.sum(axis=0), 0.0, atol=1e-15)  # softmax - one-hot sums to 0
