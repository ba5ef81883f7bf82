"""Tests of the chapter *Regularization*'s additions: AdamW, decay_mask, shift_images."""
import numpy as np
import pytest

import nnbook as nb
from nnbook import data
from nnbook.optimizers import Adam, AdamW, get_optimizer
from nnbook.regularization import decay_mask


def adamw_reference(theta0, grads, lr, b1, b2, eps, wd, mask=None):
    """AdamW written out as the recurrence of Loshchilov & Hutter / PyTorch, in float64."""
    theta = np.array(theta0, dtype=np.float64)
    mu = np.ones_like(theta) if mask is None else np.asarray(mask, dtype=np.float64)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    path = []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        theta = theta - lr * (m_hat / (np.sqrt(v_hat) + eps) + wd * mu * theta)
        path.append(theta.copy())
    return path


@pytest.mark.parametrize("with_mask", [False, True])
def test_adamw_matches_reference_step_by_step(with_mask):
    rng = np.random.default_rng(0)
    theta0 = rng.normal(size=7)
    grads = [rng.normal(size=7) for _ in range(12)]
    mask = (rng.random(7) < 0.5).astype(float) if with_mask else None
    ref = adamw_reference(theta0, grads, 0.03, 0.8, 0.95, 1e-8, 0.2, mask)
    opt = AdamW(lr=0.03, beta1=0.8, beta2=0.95, eps=1e-8, weight_decay=0.2, mask=mask)
    theta = theta0.copy()
    for g, expected in zip(grads, ref):
        opt.step(theta, g)
        np.testing.assert_allclose(theta, expected, rtol=1e-13, atol=1e-15)
    assert opt.t == 12


def test_adamw_is_adam_plus_decoupled_decay():
    # one step of AdamW = the Adam step from g alone, minus lr * wd * theta_old
    rng = np.random.default_rng(1)
    theta0, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    a, w = theta0.copy(), theta0.copy()
    adam, adamw = Adam(lr=0.01), AdamW(lr=0.01, weight_decay=0.5)
    for _ in range(5):  # the same gradients: the moments agree, only the decay differs
        before = w.copy()
        a_before = a.copy()
        adam.step(a, g)
        adamw.step(w, g)
        np.testing.assert_allclose(w - before, (a - a_before) - 0.01 * 0.5 * before, rtol=1e-12)
    # weight_decay=0 is Adam exactly
    p1, p2 = theta0.copy(), theta0.copy()
    o1, o2 = Adam(lr=0.02), AdamW(lr=0.02, weight_decay=0.0)
    for k in range(4):
        o1.step(p1, g * (k + 1))
        o2.step(p2, g * (k + 1))
    np.testing.assert_array_equal(p1, p2)


def test_adam_with_l2_is_not_adamw():
    # a parameter with no data gradient: Adam + L2 moves it by about lr per step whatever the
    # decay strength, AdamW shrinks it by the factor (1 - lr wd) per step
    lr, wd, steps = 1e-3, 1e-2, 50
    theta_l2, theta_w = np.array([0.5, 0.5]), np.array([0.5, 0.5])
    adam, adamw = Adam(lr=lr), AdamW(lr=lr, weight_decay=wd)
    for _ in range(steps):
        adam.step(theta_l2, wd * theta_l2)      # gradient of (wd/2) theta^2
        adamw.step(theta_w, np.zeros(2))
    np.testing.assert_allclose(theta_w, 0.5 * (1 - lr * wd) ** steps, rtol=1e-12)
    np.testing.assert_allclose(0.5 - theta_l2, steps * lr, rtol=0.02)  # ~lr per step, not lr wd theta
    assert 0.5 - theta_l2[0] > 100 * (0.5 - theta_w[0])


def test_decay_mask_marks_weights_not_biases():
    net = nb.Network([3, 4, 2], hidden="tanh", loss="mse", seed=0)
    theta0 = net.theta.copy()
    mask = decay_mask(net)
    np.testing.assert_array_equal(net.theta, theta0)          # theta is left unchanged
    assert mask.shape == net.theta.shape and mask.dtype == net.theta.dtype
    assert mask.sum() == 3 * 4 + 4 * 2                         # the weights
    net.theta[...] = np.arange(net.theta.size)
    for layer in net.layers:                                   # ones exactly at W, zeros at b
        assert set(mask[layer.W.ravel().astype(int)]) == {1.0}
        assert set(mask[layer.b.ravel().astype(int)]) == {0.0}


def test_adamw_with_mask_leaves_biases_undecayed():
    net = nb.Network([3, 4, 2], hidden="tanh", loss="mse", seed=0)
    for layer in net.layers:
        layer.b[...] = 1.0
    opt = AdamW(lr=0.1, weight_decay=0.5, mask=decay_mask(net))
    W_before = [layer.W.copy() for layer in net.layers]
    opt.step(net.theta, np.zeros_like(net.theta))            # no gradient: only the decay
    for layer, W0 in zip(net.layers, W_before):
        np.testing.assert_array_equal(layer.b, 1.0)
        np.testing.assert_allclose(layer.W, W0 * (1 - 0.1 * 0.5), rtol=1e-14)


def test_adamw_float32_and_lists():
    rng = np.random.default_rng(2)
    params = [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=(3, 1)).astype(np.float32)]
    grads = [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=(3, 1)).astype(np.float32)]
    masks = [np.ones((3, 2)), np.zeros((3, 1))]
    ref = [adamw_reference(p, [g] * 3, 0.01, 0.9, 0.999, 1e-8, 0.1, mu)[-1]
           for p, g, mu in zip(params, grads, masks)]
    opt = AdamW(lr=0.01, weight_decay=0.1, mask=masks)
    for _ in range(3):
        opt.step(params, grads)
    for p, r in zip(params, ref):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p, r, rtol=1e-5, atol=1e-6)


def test_adamw_lookup_repr_and_errors():
    opt = get_optimizer("adamw", lr=0.01, weight_decay=0.05)
    assert isinstance(opt, AdamW) and opt.weight_decay == 0.05
    assert "weight_decay=0.05" in repr(opt)
    assert nb.AdamW is AdamW
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=-1.0)
    with pytest.raises(ValueError, match="shape"):
        AdamW(mask=np.ones(3)).step(np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        AdamW(mask=np.full(4, 2.0)).step(np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="2 mask arrays"):
        AdamW(mask=[np.ones(4), np.ones(4)]).step(np.ones(4), np.ones(4))


def test_adamw_reset_rebuilds_state():
    opt = AdamW(lr=0.1, weight_decay=0.1)
    p = np.ones(3)
    opt.step(p, np.ones(3))
    opt.reset()
    q = np.ones(5)
    opt.step(q, np.ones(5))                                    # new shape after reset: fine
    assert opt.t == 1 and q.shape == (5,)


def test_fit_with_adamw_trains_and_decays():
    X, y = data.moons(m=100, noise=0.1, seed=0)
    net = nb.Network([2, 16, 1], hidden="tanh", loss="bce", seed=0)
    h = nb.fit(net, X, y, epochs=200, optimizer=AdamW(lr=0.02, weight_decay=0.01,
                                                       mask=decay_mask(net)))
    assert h["loss"][-1] < 0.5 * h["loss"][0]


def test_shift_images():
    X = np.arange(2 * 9, dtype=float).reshape(2, 9).T        # two 3x3 images as columns
    right = data.shift_images(X, (0, 1), image_shape=(3, 3))
    img = X[:, 0].reshape(3, 3)
    expected = np.zeros((3, 3))
    expected[:, 1:] = img[:, :-1]
    np.testing.assert_array_equal(right[:, 0].reshape(3, 3), expected)
    up = data.shift_images(X, (-1, 0), image_shape=(3, 3))
    expected = np.zeros((3, 3))
    expected[:-1, :] = img[1:, :]
    np.testing.assert_array_equal(up[:, 0].reshape(3, 3), expected)
    np.testing.assert_array_equal(data.shift_images(X, (0, 0), (3, 3)), X)
    assert not data.shift_images(X, (3, 0), (3, 3)).any()       # shifted out entirely
    # shifting back and forth keeps the pixels that stayed inside
    back = data.shift_images(data.shift_images(X, (1, -1), (3, 3)), (-1, 1), (3, 3))
    inside = np.zeros((3, 3), bool)
    inside[:2, 1:] = True
    np.testing.assert_array_equal(back[inside.ravel()], X[inside.ravel()])
    assert not back[~inside.ravel()].any()


def test_shift_images_digits_and_errors():
    X, _ = data.load_digits()
    S = data.shift_images(X[:, :10], (1, 0))
    assert S.shape == (64, 10)
    np.testing.assert_array_equal(S[8:], X[:56, :10])           # row r is the old row r - 1
    assert not S[:8].any()
    with pytest.raises(ValueError, match="one 8x8 image per column"):
        data.shift_images(X.T, (1, 0))
    with pytest.raises(ValueError, match="two integers"):
        data.shift_images(X, (0.5, 0))


@pytest.mark.gpu
def test_adamw_decay_mask_and_shift_on_device(cp):
    rng = np.random.default_rng(3)
    theta0, grads = rng.normal(size=6), [rng.normal(size=6) for _ in range(4)]
    mask = np.array([1, 0, 1, 1, 0, 1.0])
    ref = adamw_reference(theta0, grads, 0.05, 0.9, 0.999, 1e-8, 0.1, mask)[-1]
    theta = cp.asarray(theta0)
    opt = AdamW(lr=0.05, weight_decay=0.1, mask=mask)     # a host mask is moved to the device
    for g in grads:
        opt.step(theta, cp.asarray(g))
    assert isinstance(theta, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(theta), ref, rtol=1e-12)
    net = nb.Network([3, 4, 2], hidden="tanh", loss="mse", seed=0, device="gpu")
    mu = decay_mask(net)
    assert isinstance(mu, cp.ndarray) and float(mu.sum()) == 20.0
    X = rng.random((64, 5))
    shifted = data.shift_images(cp.asarray(X), (1, -2))
    assert isinstance(shifted, cp.ndarray)
    np.testing.assert_array_equal(cp.asnumpy(shifted), data.shift_images(X, (1, -2)))
