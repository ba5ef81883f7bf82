"""Tests of nnbook.optimizers: every trajectory against an independent plain-Python recurrence.

The reference recurrences below are written with Python floats and ``math`` only, straight
from the textbook definitions (PyTorch's torch.optim), and never call the module under test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import nnbook as nb
from nnbook.optimizers import (
    SGD, AdaGrad, Adam, Momentum, Nesterov, Optimizer, RMSProp, clip_by_global_norm,
    clip_by_value, get_optimizer,
)


# --- independent reference recurrences (plain floats, one coordinate at a time) ----------
def ref_sgd(grad, x0, steps, lr):
    x, path = list(x0), [list(x0)]
    for _ in range(steps):
        g = grad(x)
        x = [xi - lr * gi for xi, gi in zip(x, g)]
        path.append(x)
    return path


def ref_momentum(grad, x0, steps, lr, beta, form):
    x, v, path = list(x0), [0.0] * len(x0), [list(x0)]
    for _ in range(steps):
        g = grad(x)
        if form == "sum":
            v = [beta * vi + gi for vi, gi in zip(v, g)]
        else:
            v = [beta * vi + (1 - beta) * gi for vi, gi in zip(v, g)]
        x = [xi - lr * vi for xi, vi in zip(x, v)]
        path.append(x)
    return path


def ref_nesterov(grad, x0, steps, lr, beta, form):
    x, v, path = list(x0), [0.0] * len(x0), [list(x0)]
    c = 1.0 if form == "sum" else 1.0 - beta
    for _ in range(steps):
        g = grad(x)
        v = [beta * vi + c * gi for vi, gi in zip(v, g)]
        x = [xi - lr * (c * gi + beta * vi) for xi, gi, vi in zip(x, g, v)]
        path.append(x)
    return path


def ref_adagrad(grad, x0, steps, lr, eps):
    x, s, path = list(x0), [0.0] * len(x0), [list(x0)]
    for _ in range(steps):
        g = grad(x)
        s = [si + gi * gi for si, gi in zip(s, g)]
        x = [xi - lr * gi / (math.sqrt(si) + eps) for xi, gi, si in zip(x, g, s)]
        path.append(x)
    return path


def ref_rmsprop(grad, x0, steps, lr, beta, eps):
    x, v, path = list(x0), [0.0] * len(x0), [list(x0)]
    for _ in range(steps):
        g = grad(x)
        v = [beta * vi + (1 - beta) * gi * gi for vi, gi in zip(v, g)]
        x = [xi - lr * gi / (math.sqrt(vi) + eps) for xi, gi, vi in zip(x, g, v)]
        path.append(x)
    return path


def ref_adam(grad, x0, steps, lr, b1, b2, eps, bias_correction=True):
    x, m, v, path = list(x0), [0.0] * len(x0), [0.0] * len(x0), [list(x0)]
    for t in range(1, steps + 1):
        g = grad(x)
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        c1 = 1 - b1 ** t if bias_correction else 1.0
        c2 = 1 - b2 ** t if bias_correction else 1.0
        x = [xi - lr * (mi / c1) / (math.sqrt(vi / c2) + eps) for xi, mi, vi in zip(x, m, v)]
        path.append(x)
    return path


# --- the functions: f(x) = a x^2 / 2 in 1-D, and a 2-D quadratic ------------------------
def grad_1d(x, a=3.0):
    return [a * x[0]]


def grad_2d(x):
    # f(x, y) = 1/2 (4 x^2 + 2 x y + y^2): a coupled, positive-definite quadratic
    return [4.0 * x[0] + x[1], x[0] + x[1]]


def run(opt, grad, x0, steps, dtype=np.float64):
    theta = np.array(x0, dtype=dtype)
    path = [theta.copy()]
    for _ in range(steps):
        g = np.array(grad([float(t) for t in theta]), dtype=dtype)
        opt.step(theta, g)
        path.append(theta.copy())
    return np.array(path)


CASES = [
    ("sgd", lambda: SGD(0.1), lambda gr, x0, n: ref_sgd(gr, x0, n, 0.1)),
    ("momentum-sum", lambda: Momentum(0.05, beta=0.9),
     lambda gr, x0, n: ref_momentum(gr, x0, n, 0.05, 0.9, "sum")),
    ("momentum-ema", lambda: Momentum(0.2, beta=0.8, form="ema"),
     lambda gr, x0, n: ref_momentum(gr, x0, n, 0.2, 0.8, "ema")),
    ("nesterov-sum", lambda: Nesterov(0.05, beta=0.9),
     lambda gr, x0, n: ref_nesterov(gr, x0, n, 0.05, 0.9, "sum")),
    ("nesterov-ema", lambda: Nesterov(0.3, beta=0.7, form="ema"),
     lambda gr, x0, n: ref_nesterov(gr, x0, n, 0.3, 0.7, "ema")),
    ("adagrad", lambda: AdaGrad(0.5), lambda gr, x0, n: ref_adagrad(gr, x0, n, 0.5, 1e-10)),
    ("rmsprop", lambda: RMSProp(0.01), lambda gr, x0, n: ref_rmsprop(gr, x0, n, 0.01, 0.99, 1e-8)),
    ("rmsprop-b", lambda: RMSProp(0.05, beta=0.9, eps=1e-3),
     lambda gr, x0, n: ref_rmsprop(gr, x0, n, 0.05, 0.9, 1e-3)),
    ("adam", lambda: Adam(0.1), lambda gr, x0, n: ref_adam(gr, x0, n, 0.1, 0.9, 0.999, 1e-8)),
    ("adam-b", lambda: Adam(0.05, beta1=0.5, beta2=0.9, eps=1e-4),
     lambda gr, x0, n: ref_adam(gr, x0, n, 0.05, 0.5, 0.9, 1e-4)),
    ("adam-nobc", lambda: Adam(0.1, bias_correction=False),
     lambda gr, x0, n: ref_adam(gr, x0, n, 0.1, 0.9, 0.999, 1e-8, bias_correction=False)),
]


@pytest.mark.parametrize("name, make, ref", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("grad, x0", [(grad_1d, [1.3]), (grad_2d, [1.0, -2.0])], ids=["1d", "2d"])
def test_trajectory_matches_definition_step_for_step(name, make, ref, grad, x0):
    steps = 15
    ours = run(make(), grad, x0, steps)
    theirs = np.array(ref(grad, x0, steps))
    assert ours.shape == theirs.shape == (steps + 1, len(x0))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    assert not np.allclose(ours[-1], ours[0])  # it moved


# --- short tables computed by hand (f(x) = x^2/2, x0 = 1, so g = x) ----------------------
HAND = {
    "sgd": (SGD(0.1), [0.9, 0.81, 0.729]),
    # v1 = 1, x1 = 0.9; v2 = 0.9 + 0.9 = 1.8, x2 = 0.72; v3 = 1.62 + 0.72 = 2.34, x3 = 0.486
    "momentum": (Momentum(0.1, beta=0.9), [0.9, 0.72, 0.486]),
    # same trajectory: EMA form with lr / (1 - beta) = 1.0
    "momentum-ema": (Momentum(1.0, beta=0.9, form="ema"), [0.9, 0.72, 0.486]),
    # v1 = 1, x1 = 1 - 0.1 (1 + 0.9) = 0.81; v2 = 0.9 + 0.81 = 1.71, x2 = 0.81 - 0.1 (0.81 + 1.539)
    "nesterov": (Nesterov(0.1, beta=0.9), [0.81, 0.5751]),
    # s1 = 1, x1 = 0.9; s2 = 1.81, x2 = 0.9 - 0.09 / sqrt(1.81)
    "adagrad": (AdaGrad(0.1, eps=1e-300), [0.9, 0.833103526837755]),
    # v1 = 0.01, x1 = 1 - 0.01 / 0.1; v2 = 0.0099 + 0.0081 = 0.018, x2 = 0.9 - 0.009 / sqrt(0.018)
    "rmsprop": (RMSProp(0.01, beta=0.99, eps=1e-300), [0.9, 0.8329179606750063]),
    # m1 = 0.1, v1 = 0.001, m^ = v^ = 1: x1 = 0.9; m2 = 0.18, v2 = 0.001809:
    # x2 = 0.9 - 0.1 (0.18/0.19) / sqrt(0.001809/0.001999)
    "adam": (Adam(0.1, eps=1e-300), [0.9, 0.8004122276712469]),
}


@pytest.mark.parametrize("key", list(HAND))
def test_hand_computed_table(key):
    opt, expected = HAND[key]
    opt.reset()
    x = np.array([1.0])
    got = []
    for _ in expected:
        opt.step(x, x.copy())
        got.append(float(x[0]))
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_adam_steps_lr_per_coordinate_on_a_constant_gradient():
    # with bias correction m^ = g and v^ = g^2 exactly, so each step is lr * sign(g) (eps = 1e-300, as 0)
    opt = Adam(0.25, eps=1e-300)
    x = np.array([0.0, 0.0])
    g = np.array([3.0, -1e-3])
    for t in range(1, 6):
        opt.step(x, g)
        np.testing.assert_allclose(x, [-0.25 * t, 0.25 * t], rtol=1e-12)


def test_adam_without_bias_correction_first_step_is_the_sources_form():
    opt = Adam(0.1, eps=1e-300, bias_correction=False)
    x = np.array([1.0])
    opt.step(x, np.array([1.0]))
    # m1 = 0.1, v1 = 0.001: x1 = 1 - 0.1 * 0.1 / sqrt(0.001)
    assert x[0] == pytest.approx(1 - 0.01 / math.sqrt(0.001), rel=1e-13)


# --- the two momentum forms ---------------------------------------------------------------
@pytest.mark.parametrize("cls", [Momentum, Nesterov])
@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_ema_form_with_rescaled_lr_gives_the_sum_form_trajectory(cls, beta):
    lr = 0.01
    a = run(cls(lr, beta=beta, form="sum"), grad_2d, [1.0, -2.0], 20)
    b = run(cls(lr / (1 - beta), beta=beta, form="ema"), grad_2d, [1.0, -2.0], 20)
    np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
    # ... and with the same lr they differ: the claim is not vacuous
    c = run(cls(lr, beta=beta, form="ema"), grad_2d, [1.0, -2.0], 20)
    assert not np.allclose(a, c, rtol=1e-3)


def test_sources_momentum_with_alpha_and_eta_is_the_sum_form_with_lr_eta_alpha():
    # M_k = beta M_{k-1} + alpha dL/dW, Delta W = -eta M_k   (the sources' form)
    alpha, eta, beta = 0.2, 0.5, 0.9
    W, M, path = [1.0, -2.0], [0.0, 0.0], []
    for _ in range(12):
        g = grad_2d(W)
        M = [beta * Mi + alpha * gi for Mi, gi in zip(M, g)]
        W = [Wi - eta * Mi for Wi, Mi in zip(W, M)]
        path.append(W)
    ours = run(Momentum(eta * alpha, beta=beta), grad_2d, [1.0, -2.0], 12)[1:]
    np.testing.assert_allclose(ours, path, rtol=1e-12)


@pytest.mark.parametrize("form", ["sum", "ema"])
def test_nesterov_equals_the_look_ahead_form_shifted_by_eta_beta_v(form):
    # look-ahead form: v_t = beta v + c grad(phi - eta beta v);  phi_t = phi - eta v_t
    lr, beta = 0.05, 0.9
    c = 1.0 if form == "sum" else 1.0 - beta
    phi, v = [1.0, -2.0], [0.0, 0.0]
    shifted = [list(phi)]
    for _ in range(20):
        look = [p - lr * beta * vi for p, vi in zip(phi, v)]
        v = [beta * vi + c * gi for vi, gi in zip(v, grad_2d(look))]
        phi = [p - lr * vi for p, vi in zip(phi, v)]
        shifted.append([p - lr * beta * vi for p, vi in zip(phi, v)])  # theta = phi - eta beta v
    ours = run(Nesterov(lr, beta=beta, form=form), grad_2d, [1.0, -2.0], 20)
    np.testing.assert_allclose(ours, shifted, rtol=1e-11, atol=1e-13)


def test_sources_nesterov_with_eta_one_is_nesterov_with_lr_alpha():
    # N_k = beta N_{k-1} + alpha grad L(W - beta N_{k-1}),  Delta W = -N_k  (eta = 1)
    alpha, beta = 0.05, 0.9
    W, N, shifted = [1.0, -2.0], [0.0, 0.0], []
    for _ in range(15):
        g = grad_2d([Wi - beta * Ni for Wi, Ni in zip(W, N)])
        N = [beta * Ni + alpha * gi for Ni, gi in zip(N, g)]
        W = [Wi - Ni for Wi, Ni in zip(W, N)]
        shifted.append([Wi - beta * Ni for Wi, Ni in zip(W, N)])
    ours = run(Nesterov(alpha, beta=beta), grad_2d, [1.0, -2.0], 15)[1:]
    np.testing.assert_allclose(ours, shifted, rtol=1e-11, atol=1e-13)


# --- interface ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_list_of_params_is_the_same_as_one_optimizer_per_array(name, rng):
    shapes = [(3, 4), (3, 1), (2, 3)]
    params = [rng.normal(size=s) for s in shapes]
    singles = [p.copy() for p in params]
    opt = get_optimizer(name, lr=0.05)
    single_opts = [get_optimizer(name, lr=0.05) for _ in shapes]
    for _ in range(4):
        grads = [rng.normal(size=s) for s in shapes]
        opt.step(params, grads)
        for o, p, g in zip(single_opts, singles, grads):
            o.step(p, g)
    for p, q in zip(params, singles):
        np.testing.assert_array_equal(p, q)
    assert opt.t == 4 and len(opt.state) == 3


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_float32_stays_float32_and_updates_in_place(name, rng):
    theta = rng.normal(size=50).astype(np.float32)
    same = theta
    opt = get_optimizer(name, lr=0.01)
    for _ in range(3):
        opt.step(theta, rng.normal(size=50).astype(np.float32))
    assert theta is same and theta.dtype == np.float32
    for arr in opt.state[0].values():
        assert arr.dtype == np.float32
    assert opt._scratch[0].dtype == np.float32


def test_float32_trajectory_close_to_float64():
    a = run(Adam(0.1), grad_2d, [1.0, -2.0], 10, dtype=np.float32)
    b = run(Adam(0.1), grad_2d, [1.0, -2.0], 10, dtype=np.float64)
    assert a.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_state_arrays_are_reused_between_steps(rng):
    opt = Adam(1e-3)
    theta = rng.normal(size=10)
    opt.step(theta, rng.normal(size=10))
    m, v, tmp = opt.state[0]["m"], opt.state[0]["v"], opt._scratch[0]
    opt.step(theta, rng.normal(size=10))
    assert opt.state[0]["m"] is m and opt.state[0]["v"] is v and opt._scratch[0] is tmp


def test_step_on_a_network_updates_the_layers(rng):
    net = nb.Network([3, 4, 2], seed=1)
    X, Y = rng.normal(size=(3, 8)), rng.normal(size=(2, 8))
    W1 = net.layers[0].W.copy()
    net.loss_and_grad(X, Y)
    expected = W1 - 0.1 * net.layers[0].dW
    opt = SGD(0.1)
    opt.step(net.theta, net.grad)
    np.testing.assert_allclose(net.layers[0].W, expected, rtol=1e-14)
    J0 = net.loss_and_grad(X, Y)
    opt = Adam(0.01)
    for _ in range(30):
        net.loss_and_grad(X, Y)
        opt.step(net.theta, net.grad)
    assert net.loss_and_grad(X, Y) < J0


def test_lr_can_be_reassigned_and_is_validated():
    opt = SGD(0.1)
    opt.lr = 0.5
    x = np.array([1.0])
    opt.step(x, np.array([1.0]))
    assert x[0] == pytest.approx(0.5)
    opt.lr = 0  # a schedule may reach 0
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -0.1
    with pytest.raises(ValueError, match="lr"):
        opt.lr = float("nan")


def test_reset_restarts_the_state():
    opt = Adam(0.1, eps=1e-300)
    x = np.array([1.0])
    opt.step(x, np.array([1.0]))
    opt.step(x, np.array([5.0]))
    opt.reset()
    assert opt.t == 0 and opt.state == []
    y = np.array([1.0])
    opt.step(y, np.array([7.0]))
    assert y[0] == pytest.approx(0.9)  # first Adam step again: lr * sign(g)


@pytest.mark.parametrize("make, match", [
    (lambda: SGD(-0.1), "lr"),
    (lambda: SGD(float("inf")), "lr"),
    (lambda: Momentum(0.1, beta=1.0), r"beta must be in \[0, 1\)"),
    (lambda: Momentum(0.1, beta=-0.1), "beta"),
    (lambda: Momentum(0.1, form="polyak"), "form"),
    (lambda: Nesterov(0.1, beta=1.5), "beta"),
    (lambda: AdaGrad(0.1, eps=-1e-8), "eps"),
    (lambda: RMSProp(0.1, beta=1.0), "beta"),
    (lambda: Adam(beta1=1.0), "beta1"),
    (lambda: Adam(beta2=-0.5), "beta2"),
    (lambda: Adam(eps=-1.0), "eps"),
    (lambda: get_optimizer("adamax"), "unknown optimizer"),
])
def test_bad_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_lr_type_raises_type_error():
    with pytest.raises(TypeError, match="lr"):
        SGD("0.1")


def test_mismatched_shapes_raise(rng):
    opt = Momentum(0.1)
    with pytest.raises(ValueError, match="shape"):
        opt.step(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="2 parameter arrays but 1"):
        opt.step([np.zeros(3), np.zeros(2)], [np.zeros(3)])
    opt.step(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="reset"):
        opt.step(np.zeros(5), np.ones(5))
    with pytest.raises(TypeError, match="in place"):
        SGD(0.1).step(1.0, 2.0)
    with pytest.raises(TypeError, match="in place"):
        SGD(0.1).step(np.arange(3), np.ones(3))  # integer parameters cannot take a step


def test_get_optimizer_names_and_repr():
    assert isinstance(get_optimizer("gd", lr=0.1), SGD)
    assert isinstance(get_optimizer("SGD", lr=0.1), SGD)
    assert isinstance(get_optimizer("nag", lr=0.1), Nesterov)
    assert isinstance(get_optimizer("adam"), Adam)
    m = get_optimizer("momentum", lr=0.1, beta=0.8, form="ema")
    assert repr(m) == "Momentum(lr=0.1, beta=0.8, form='ema')"
    assert repr(Adam()) == "Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08)"
    assert get_optimizer(m) is m
    assert isinstance(m, Optimizer)
    with pytest.raises(ValueError, match="known"):
        get_optimizer("lbfgs")


def test_defaults_match_pytorch():
    a = Adam()
    assert (a.lr, a.beta1, a.beta2, a.eps) == (1e-3, 0.9, 0.999, 1e-8)
    r = RMSProp()
    assert (r.lr, r.beta, r.eps) == (0.01, 0.99, 1e-8)
    g = AdaGrad()
    assert (g.lr, g.eps) == (0.01, 1e-10)


# --- against torch.optim, when torch happens to be installed ------------------------------
TORCH_CASES = [
    ("sgd", dict(lr=0.1), "SGD", dict(lr=0.1)),
    ("momentum", dict(lr=0.1, beta=0.9), "SGD", dict(lr=0.1, momentum=0.9)),
    ("nesterov", dict(lr=0.1, beta=0.9), "SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("adagrad", dict(lr=0.1), "Adagrad", dict(lr=0.1)),
    ("rmsprop", dict(lr=0.01), "RMSprop", dict(lr=0.01)),
    ("adam", dict(lr=0.01), "Adam", dict(lr=0.01)),
]


@pytest.mark.parametrize("name, ours, tname, theirs", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_matches_torch_optim(name, ours, tname, theirs, rng):
    torch = pytest.importorskip("torch")
    theta0 = rng.normal(size=(4, 3))
    grads = [rng.normal(size=(4, 3)) for _ in range(10)]
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, tname)([p], **theirs)
    theta = theta0.copy()
    opt = get_optimizer(name, **ours)
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
        opt.step(theta, g)
        np.testing.assert_allclose(theta, p.detach().numpy(), rtol=1e-12, atol=1e-14)


# --- gradient clipping ----------------------------------------------------------------------
def test_clip_by_global_norm_over_all_arrays():
    g1, g2 = np.array([3.0]), np.array([[4.0, 0.0]])
    norm = clip_by_global_norm([g1, g2], 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(g1, [0.6])
    np.testing.assert_allclose(g2, [[0.8, 0.0]])
    # below the cap: untouched
    g = np.array([0.3, 0.4])
    assert clip_by_global_norm(g, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(g, [0.3, 0.4])


def test_clip_by_global_norm_keeps_direction(rng):
    g = rng.normal(size=100) * 10
    direction = g / np.linalg.norm(g)
    before = clip_by_global_norm(g, 2.5)
    assert before > 2.5
    assert np.linalg.norm(g) == pytest.approx(2.5)
    np.testing.assert_allclose(g / np.linalg.norm(g), direction, rtol=1e-12)


def test_clip_by_global_norm_float32_huge_values():
    g = np.array([1e20, 1e20], dtype=np.float32)  # squares overflow float32
    norm = clip_by_global_norm(g, 1.0)
    assert norm == pytest.approx(math.sqrt(2) * 1e20, rel=1e-6)
    np.testing.assert_allclose(g, [2 ** -0.5] * 2, rtol=1e-6)
    assert g.dtype == np.float32


def test_clip_by_value():
    g = np.array([-3.0, 0.5, 2.0])
    assert clip_by_value(g, 1.0) == 3.0
    np.testing.assert_array_equal(g, [-1.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="clip_value"):
        clip_by_value(g, -1.0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_global_norm(g, 0.0)


def test_clip_net_grad_in_place(rng):
    net = nb.Network([3, 4, 2], seed=0)
    net.loss_and_grad(rng.normal(size=(3, 5)) * 50, rng.normal(size=(2, 5)) * 50)
    before = float(np.linalg.norm(net.grad))
    assert before > 1.0
    assert clip_by_global_norm(net.grad, 1.0) == pytest.approx(before)
    total = sum(float((g ** 2).sum()) for g in net.gradients())
    assert math.sqrt(total) == pytest.approx(1.0)


# --- GPU: the same steps on CuPy ------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_gpu_matches_cpu(cp, name, rng):
    theta = rng.normal(size=(5, 4))
    theta_gpu = cp.asarray(theta)
    a, b = get_optimizer(name, lr=0.05), get_optimizer(name, lr=0.05)
    for _ in range(5):
        g = rng.normal(size=(5, 4))
        a.step(theta, g)
        b.step(theta_gpu, cp.asarray(g))
    assert isinstance(theta_gpu, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(theta_gpu), theta, rtol=1e-12, atol=1e-14)
