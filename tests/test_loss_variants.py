"""Tests of the loss variants of the chapter *Loss functions*: class-weighted cross-entropies,
the focal loss and label smoothing."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnbook as nb
from nnbook import losses as L
from nnbook.data import one_hot, smooth_labels

TOL = 1e-7


def _Z_Y(rng, n=3, m=5, binary=True, scale=2.0):
    Z = rng.normal(scale=scale, size=(n, m))
    Y = (rng.random((n, m)) < 0.5).astype(float) if binary else one_hot(rng.integers(0, n, m), n)
    return Z, Y


# --- gradient checks (float64, centred differences) ---------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"pos_weight": 5.0}, {"pos_weight": [1.0, 3.0, 0.5],
                                                               "neg_weight": [2.0, 1.0, 0.0]}])
def test_weighted_bce_gradient(rng, kwargs):
    Z, Y = _Z_Y(rng)
    Y[0, 0] = 0.3                                   # soft targets are allowed too
    r = nb.check_gradient(lambda z: L.weighted_binary_cross_entropy_with_logits(z, Y, **kwargs),
                          lambda z: L.weighted_binary_cross_entropy_with_logits_grad(z, Y, **kwargs), Z)
    assert r < TOL


@pytest.mark.parametrize("w", [[1.0, 1.0, 1.0], [0.5, 4.0, 1.5]])
def test_weighted_softmax_ce_gradient(rng, w):
    Z, Y = _Z_Y(rng, n=3, m=6, binary=False)
    r = nb.check_gradient(lambda z: L.weighted_softmax_cross_entropy(z, Y, w),
                          lambda z: L.weighted_softmax_cross_entropy_grad(z, Y, w), Z)
    assert r < TOL


@pytest.mark.parametrize("gamma, alpha", [(0.0, None), (0.5, None), (2.0, None), (2.0, 0.25), (5.0, 0.9)])
def test_focal_gradient(rng, gamma, alpha):
    Z, Y = _Z_Y(rng, m=7)
    Y[1, 2] = 0.7
    r = nb.check_gradient(lambda z: L.focal_loss_with_logits(z, Y, gamma, alpha),
                          lambda z: L.focal_loss_with_logits_grad(z, Y, gamma, alpha), Z)
    assert r < TOL


# --- reductions to the unweighted losses -----------------------------------------------------
def test_unit_weights_give_plain_losses(rng):
    Z, Y = _Z_Y(rng)
    assert L.weighted_binary_cross_entropy_with_logits(Z, Y) == pytest.approx(
        L.binary_cross_entropy_with_logits(Z, Y), rel=1e-14)
    np.testing.assert_allclose(L.weighted_binary_cross_entropy_with_logits_grad(Z, Y),
                               L.binary_cross_entropy_with_logits_grad(Z, Y), rtol=1e-13, atol=1e-16)
    assert L.focal_loss_with_logits(Z, Y, gamma=0.0) == pytest.approx(
        L.binary_cross_entropy_with_logits(Z, Y), rel=1e-14)
    np.testing.assert_allclose(L.focal_loss_with_logits_grad(Z, Y, gamma=0.0),
                               L.binary_cross_entropy_with_logits_grad(Z, Y), rtol=1e-13, atol=1e-16)
    Zc, Yc = _Z_Y(rng, binary=False)
    assert L.weighted_softmax_cross_entropy(Zc, Yc, [1, 1, 1]) == pytest.approx(
        L.softmax_cross_entropy(Zc, Yc), rel=1e-14)


def test_weighted_softmax_is_plain_ce_on_weighted_targets(rng):
    Z, Y = _Z_Y(rng, n=4, m=6, binary=False)
    w = np.array([1.0, 2.0, 0.5, 3.0])
    # per sample: w of its class times the plain loss of that sample
    per_sample = -(Y * np.log(nb.softmax(Z))).sum(axis=0)
    expected = float((w @ Y * per_sample).mean())
    assert L.weighted_softmax_cross_entropy(Z, Y, w) == pytest.approx(expected, rel=1e-12)
    # and its gradient is NOT (A - Y)/m scaled: check one column against its closed form
    G = L.weighted_softmax_cross_entropy_grad(Z, Y, w)
    k = int(Y[:, 0].argmax())
    np.testing.assert_allclose(G[:, 0], w[k] * (nb.softmax(Z)[:, 0] - Y[:, 0]) / 6, rtol=1e-12)


def test_weighted_bce_values_by_hand():
    Z = np.array([[0.0, 2.0]])
    Y = np.array([[1.0, 0.0]])
    # sample 1: 3 * log 2; sample 2: 0.5 * softplus(2)
    expected = (3 * np.log(2) + 0.5 * np.log1p(np.exp(2.0))) / 2
    assert L.weighted_binary_cross_entropy_with_logits(Z, Y, 3.0, 0.5) == pytest.approx(expected, rel=1e-14)


def test_focal_values_by_hand():
    # p = sigmoid(z); y = 1: -(1-p)^2 log p; y = 0 with alpha = 0.25: -0.75 p^2 log(1-p)
    Z = np.array([[1.0, -0.5]])
    Y = np.array([[1.0, 0.0]])
    p = 1 / (1 + np.exp(-Z[0]))
    expected = (-0.25 * (1 - p[0]) ** 2 * np.log(p[0]) - 0.75 * p[1] ** 2 * np.log(1 - p[1])) / 2
    assert L.focal_loss_with_logits(Z, Y, 2.0, 0.25) == pytest.approx(expected, rel=1e-13)


def test_focal_down_weights_easy_samples():
    # an easy sample (p_t = 0.95) loses (1 - 0.95)^2 = 1/400 of its cross-entropy with gamma = 2
    z = np.log(0.95 / 0.05)
    Z, Y = np.array([[z]]), np.array([[1.0]])
    ratio = L.focal_loss_with_logits(Z, Y, 2.0) / L.binary_cross_entropy_with_logits(Z, Y)
    assert ratio == pytest.approx(0.05 ** 2, rel=1e-12)


# --- stability ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_variants_finite_for_huge_logits(dtype):
    Z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    Y = np.array([[1.0, 1.0, 0.0, 0.0, 0.0]], dtype=dtype)
    with np.errstate(over="raise", divide="raise", invalid="raise"):   # underflow to 0 is fine
        for f in (lambda: L.weighted_binary_cross_entropy_with_logits(Z, Y, 2.0),
                  lambda: L.focal_loss_with_logits(Z, Y, 2.0)):
            assert np.isfinite(f())
        for g in (L.weighted_binary_cross_entropy_with_logits_grad(Z, Y, 2.0),
                  L.focal_loss_with_logits_grad(Z, Y, 2.0)):
            assert np.isfinite(g).all() and g.dtype == dtype
    # the weighted BCE of z = -1e4 with y = 1 is w * 1e4 exactly, per sample
    Z1, Y1 = np.array([[-1e4]], dtype=dtype), np.array([[1.0]], dtype=dtype)
    assert L.weighted_binary_cross_entropy_with_logits(Z1, Y1, 2.0) == pytest.approx(2e4, rel=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-30, 30), min_size=1, max_size=6), st.floats(0, 5))
def test_focal_never_exceeds_cross_entropy(zs, gamma):
    Z = np.array([zs])
    for y in (0.0, 1.0):
        Y = np.full_like(Z, y)
        assert L.focal_loss_with_logits(Z, Y, gamma) <= L.binary_cross_entropy_with_logits(Z, Y) * (1 + 1e-12) + 1e-300


# --- label smoothing -----------------------------------------------------------------------------
def test_smooth_labels_values():
    Y = one_hot([2, 0], 4)
    S = smooth_labels(Y, 0.1)
    np.testing.assert_allclose(S[:, 0], [0.025, 0.025, 0.925, 0.025])
    np.testing.assert_allclose(S.sum(axis=0), [1.0, 1.0])
    np.testing.assert_array_equal(smooth_labels(Y, 0.0), Y)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 8), st.lists(st.integers(0, 100), min_size=1, max_size=10), st.floats(0, 1))
def test_smooth_labels_keep_columns_summing_to_one(K, labels, eps):
    Y = one_hot(np.array(labels) % K, K)
    S = smooth_labels(Y, eps)
    np.testing.assert_allclose(S.sum(axis=0), 1.0, rtol=1e-12)
    assert (S >= eps / K - 1e-15).all()
    # then softmax + cross-entropy keeps its simple gradient (A - Y)/m
    Z = np.linspace(-1, 1, K * Y.shape[1]).reshape(K, -1)
    np.testing.assert_allclose(L.softmax_cross_entropy_grad(Z, S), (nb.softmax(Z) - S) / Y.shape[1],
                               atol=1e-15)


def test_smoothed_target_optimum_is_finite():
    # with smoothed targets the cross-entropy has its minimum at the finite logits log(Y_LS)
    S = smooth_labels(one_hot([1], 3), 0.1)
    Z = np.log(S)
    np.testing.assert_allclose(L.softmax_cross_entropy_grad(Z, S), 0.0, atol=1e-15)


# --- errors ----------------------------------------------------------------------------------------
def test_errors():
    Z, Y = np.zeros((3, 2)), np.zeros((3, 2))
    with pytest.raises(ValueError, match="pos_weight must be a scalar or hold one weight per output unit"):
        L.weighted_binary_cross_entropy_with_logits(Z, Y, pos_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        L.weighted_softmax_cross_entropy(Z, Y, [1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="gamma must be finite and >= 0"):
        L.focal_loss_with_logits(Z, Y, gamma=-1.0)
    with pytest.raises(ValueError, match="alpha must be in"):
        L.focal_loss_with_logits(Z, Y, alpha=1.5)
    with pytest.raises(ValueError, match="epsilon must be in"):
        smooth_labels(Y, 1.5)
    with pytest.raises(ValueError, match="samples in columns"):
        smooth_labels(np.zeros(3), 0.1)


# --- as Network losses ----------------------------------------------------------------------------
@pytest.mark.parametrize("loss, kwargs, n_out", [
    ("weighted_bce_logits", {"pos_weight": 4.0}, 2),
    ("weighted_softmax_cce", {"class_weights": [1.0, 3.0, 0.5]}, 3),
    ("focal", {"gamma": 2.0, "alpha": 0.25}, 2),
])
def test_variants_train_a_network(rng, loss, kwargs, n_out):
    net = nb.Network([3, 4, n_out], hidden="tanh", output="linear", loss=loss, loss_kwargs=kwargs, seed=3)
    assert net.loss_fn.on_logits
    X = rng.normal(size=(3, 6))
    Y = (one_hot(rng.integers(0, n_out, 6), n_out) if "softmax" in loss
         else (rng.random((n_out, 6)) < 0.5).astype(float))
    assert max(nb.check_network_gradients(net, X, Y).values()) < TOL


# --- device (CuPy, or the CPU stand-in) -------------------------------------------------------------
@pytest.mark.gpu
def test_variants_on_device(cp, rng):
    Z, Y = _Z_Y(rng)
    Zd, Yd = cp.asarray(Z), cp.asarray(Y)
    for value, grad, kw in ((L.weighted_binary_cross_entropy_with_logits,
                             L.weighted_binary_cross_entropy_with_logits_grad, {"pos_weight": [1.0, 2.0, 3.0]}),
                            (L.focal_loss_with_logits, L.focal_loss_with_logits_grad, {"alpha": 0.25}),
                            (L.weighted_softmax_cross_entropy, L.weighted_softmax_cross_entropy_grad,
                             {"class_weights": [1.0, 2.0, 3.0]})):
        assert value(Zd, Yd, **kw) == pytest.approx(value(Z, Y, **kw), rel=1e-10)
        G = grad(Zd, Yd, **kw)
        assert isinstance(G, cp.ndarray)
        np.testing.assert_allclose(cp.asnumpy(G), grad(Z, Y, **kw), rtol=1e-10, atol=1e-14)
    S = smooth_labels(Yd, 0.1)
    assert isinstance(S, cp.ndarray)


def test_targets_outside_zero_one_are_refused():
    Z = np.zeros((3, 2))
    for f in (lambda Y: L.weighted_binary_cross_entropy_with_logits(Z, Y, 2.0),
              lambda Y: L.weighted_softmax_cross_entropy(Z, Y, [1.0, 2.0, 3.0]),
              lambda Y: L.focal_loss_with_logits(Z, Y)):
        with pytest.raises(ValueError):
            f(np.full((3, 2), 1.5))
        with pytest.raises(ValueError):
            f(np.full((3, 2), np.nan))
