"""Tests of nnbook.checkers: correct student code passes, subtly wrong code fails with a useful message."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnbook.checkers import (
    CheckResult, check_activation, check_layer_backward, check_loss, check_optimizer_step, compare,
)


# --- student-style implementations, written from the formulas -----------------------------
def my_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def my_sigmoid_prime(z):
    s = my_sigmoid(z)
    return s * (1.0 - s)


def my_relu(z):
    return np.where(z > 0, z, 0.0)


def my_relu_prime(z):
    return (z > 0).astype(float)


def my_softmax(Z):
    E = np.exp(Z - Z.max(axis=0))
    return E / E.sum(axis=0)


def my_softmax_jacobian(z):
    s = my_softmax(z.reshape(-1, 1)).ravel()
    return np.diag(s) - np.outer(s, s)


def my_mse(Y_hat, Y):
    return np.sum((Y_hat - Y) ** 2) / Y.shape[1]


def my_mse_grad(Y_hat, Y):
    return 2 * (Y_hat - Y) / Y.shape[1]


def my_bce(A, Y):
    return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / Y.shape[1]


def my_bce_grad(A, Y):
    return (-(Y / A) + (1 - Y) / (1 - A)) / Y.shape[1]


def my_backward(dA, Z, A_prev, W, g_prime):
    dZ = dA * g_prime(Z)
    dW = dZ @ A_prev.T
    db = dZ.sum(axis=1, keepdims=True)
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


class MyAdam:
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction=True):
        self.lr, self.b1, self.b2, self.eps, self.bc = lr, beta1, beta2, eps, bias_correction
        self.m = self.v = None
        self.t = 0

    def step(self, theta, grad):
        if self.m is None:
            self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * grad
        self.v = self.b2 * self.v + (1 - self.b2) * grad ** 2
        m_hat = self.m / (1 - self.b1 ** self.t) if self.bc else self.m
        v_hat = self.v / (1 - self.b2 ** self.t) if self.bc else self.v
        theta -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def my_momentum(theta, grad, state, lr=0.1, beta=0.9):
    v = state.get("v", np.zeros_like(theta))
    state["v"] = beta * v + grad
    theta -= lr * state["v"]


# --- activations ------------------------------------------------------------------------------
def test_correct_activations_pass(capsys):
    assert check_activation(my_sigmoid, my_sigmoid_prime, "sigmoid")
    assert check_activation(my_relu, my_relu_prime, "relu")
    assert check_activation(np.tanh, lambda z: 1 - np.tanh(z) ** 2, "tanh")
    assert check_activation(lambda z: np.where(z > 0, z, 0.1 * z),
                            lambda z: np.where(z > 0, 1.0, 0.1), "leaky_relu", alpha=0.1)
    out = capsys.readouterr().out
    assert out.count("PASS: check_activation") == 4
    assert "max abs err" in out and "at z=" in out and "FAIL" not in out


def test_softmax_with_jacobian_passes_and_wrong_jacobian_fails():
    assert check_activation(my_softmax, my_softmax_jacobian, "softmax", verbose=False)
    wrong = check_activation(my_softmax, lambda z: my_softmax_jacobian(z).T * 2, "softmax",
                             verbose=False)
    assert not wrong


def test_derivative_off_by_a_factor_two_fails_with_hint(capsys):
    res = check_activation(my_sigmoid, lambda z: 2 * my_sigmoid_prime(z), "sigmoid")
    assert not res and isinstance(res, CheckResult)
    out = capsys.readouterr().out
    assert out.startswith("FAIL: check_activation('sigmoid')")
    assert "2 × the reference everywhere: a factor 2?" in out
    # f itself was right
    assert res.comparisons[0].passed and not res.comparisons[1].passed
    assert not res.comparisons[2].passed      # and it is not the derivative of the student's f


def test_wrong_sign_derivative_fails_with_hint():
    res = check_activation(np.tanh, lambda z: np.tanh(z) ** 2 - 1, "tanh", verbose=False)
    assert not res
    assert "wrong sign" in res.comparisons[1].hint
    assert res.max_abs == pytest.approx(2.0, rel=1e-3)        # at z near 0: 1 vs -1
    assert "z=" in res.comparisons[1].where_abs


def test_derivative_inconsistent_with_own_f_is_caught_without_a_name():
    # the student's "sigmoid" is really tanh-like; f' is the sigmoid's: inconsistent
    res = check_activation(np.tanh, my_sigmoid_prime, verbose=False)
    assert not res and len(res.comparisons) == 1
    assert check_activation(np.tanh, lambda z: 1 - np.tanh(z) ** 2, verbose=False)


def test_wrong_function_reports_where():
    # a relu that leaks: wrong for z < 0 only
    res = check_activation(lambda z: np.maximum(z, 0.01 * z), None, "relu", verbose=False)
    assert not res
    assert res.comparisons[0].where_abs == "z=-4"


def test_student_exception_is_a_failure_not_a_crash():
    def scalar_only(z):
        return 1.0 / (1.0 + math.exp(-z))   # math.exp on an array raises TypeError

    res = check_activation(scalar_only, None, "sigmoid", verbose=False)
    assert not res and "raised TypeError" in res.comparisons[0].hint


# --- losses --------------------------------------------------------------------------------------
def test_correct_losses_pass():
    assert check_loss(my_mse, my_mse_grad, "mse", verbose=False)
    assert check_loss(my_bce, my_bce_grad, "bce", n_out=1, m=8, verbose=False)
    assert check_loss(lambda A, Y: -np.sum(Y * np.log(A)) / Y.shape[1],
                      lambda A, Y: -Y / A / Y.shape[1], "cce", verbose=False)
    def log_softmax(Z):                      # log-sum-exp: finite for logits far apart
        Zs = Z - Z.max(axis=0, keepdims=True)
        return Zs - np.log(np.exp(Zs).sum(axis=0, keepdims=True))

    assert check_loss(lambda Z, Y: np.sum(-Y * log_softmax(Z)) / Y.shape[1],
                      lambda Z, Y: (my_softmax(Z) - Y) / Y.shape[1], "softmax_cross_entropy",
                      verbose=False)
    assert check_loss(lambda P, Y: 0.5 * np.sum((P - Y) ** 2) / Y.shape[1],
                      lambda P, Y: (P - Y) / Y.shape[1], "mse", half=True, verbose=False)


def test_gradient_not_divided_by_m_fails_with_hint():
    res = check_loss(my_mse, lambda P, Y: 2 * (P - Y), "mse", m=6, verbose=False)
    assert not res
    assert res.comparisons[0].passed
    assert "divide the gradient by m = 6" in res.comparisons[1].hint


def test_half_convention_mismatch_fails_with_hint():
    res = check_loss(lambda P, Y: 0.5 * np.sum((P - Y) ** 2) / Y.shape[1],
                     lambda P, Y: (P - Y) / Y.shape[1], "mse", verbose=False)
    assert not res
    assert "0.5 × the reference" in res.comparisons[0].hint
    assert "half=True" in res.comparisons[1].hint
    assert res.comparisons[2].passed          # consistent with itself, just the other convention


def test_summed_instead_of_mean_cost_fails_with_hint():
    res = check_loss(lambda P, Y: np.sum((P - Y) ** 2), None, "mse", m=5, verbose=False)
    assert not res and "average over the m = 5 samples" in res.comparisons[0].hint


# --- a layer's backward pass ---------------------------------------------------------------------
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "linear"])
def test_correct_layer_backward_passes(act):
    assert check_layer_backward(my_backward, act, verbose=False)


def test_transposed_dW_fails_with_hint(capsys):
    def transposed(dA, Z, A_prev, W, g_prime):
        dA_prev, dW, db = my_backward(dA, Z, A_prev, W, g_prime)
        return dA_prev, dW.T, db

    res = check_layer_backward(transposed)
    assert not res
    out = capsys.readouterr().out
    assert "FAIL  dW vs nnbook.Dense" in out and "transposed?" in out
    assert "PASS  dA_prev" in out and "PASS  db" in out


def test_dividing_by_m_again_fails_with_hint():
    def extra_m(dA, Z, A_prev, W, g_prime):
        dA_prev, dW, db = my_backward(dA, Z, A_prev, W, g_prime)
        m = A_prev.shape[1]
        return dA_prev, dW / m, db / m

    res = check_layer_backward(extra_m, m=5, verbose=False)
    assert not res
    assert "dA already has the 1/m" in res.comparisons[1].hint


def test_db_without_keepdims_and_wrong_derivative_fail():
    def flat_db(dA, Z, A_prev, W, g_prime):
        dA_prev, dW, db = my_backward(dA, Z, A_prev, W, g_prime)
        return dA_prev, dW, db.ravel()

    res = check_layer_backward(flat_db, verbose=False)
    assert not res and "keepdims" in res.comparisons[2].hint

    def forgot_g_prime(dA, Z, A_prev, W, g_prime):
        return my_backward(dA, Z, A_prev, W, lambda Z: np.ones_like(Z))

    res = check_layer_backward(forgot_g_prime, "sigmoid", verbose=False)
    assert not res and not any(c.passed for c in res.comparisons)
    assert "dW[" in res.comparisons[1].where_abs


def test_wrong_number_of_results():
    res = check_layer_backward(lambda dA, Z, A_prev, W, g: (W, W), verbose=False)
    assert not res and "expected 3 results" in res.comparisons[0].hint


# --- optimizers ------------------------------------------------------------------------------------
def test_correct_optimizers_pass():
    assert check_optimizer_step(MyAdam, "adam", lr=0.01, verbose=False)
    assert check_optimizer_step(MyAdam(lr=0.01, beta1=0.8), "adam", lr=0.01, beta1=0.8,
                                verbose=False)
    assert check_optimizer_step(my_momentum, "momentum", lr=0.1, beta=0.9, steps=8, verbose=False)


def test_missing_bias_correction_fails_with_hint(capsys):
    class NoBC(MyAdam):
        def __init__(self, **kw):
            super().__init__(**kw, bias_correction=False)

    res = check_optimizer_step(NoBC, "adam", lr=0.01)
    assert not res
    assert "bias correction missing" in res.comparisons[0].hint
    out = capsys.readouterr().out
    assert "FAIL  step 1" in out and "step 1, entry (" in out


def test_eps_inside_the_square_root_fails():
    class EpsInside(MyAdam):
        def step(self, theta, grad):
            if self.m is None:
                self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
            self.t += 1
            self.m = self.b1 * self.m + (1 - self.b1) * grad
            self.v = self.b2 * self.v + (1 - self.b2) * grad ** 2
            m_hat, v_hat = self.m / (1 - self.b1 ** self.t), self.v / (1 - self.b2 ** self.t)
            theta -= self.lr * m_hat / np.sqrt(v_hat + self.eps)

    assert not check_optimizer_step(EpsInside, "adam", lr=0.01, verbose=False)


def test_ema_momentum_against_sum_reference_fails_with_hint():
    def ema(theta, grad, state, lr=0.1, beta=0.9):
        v = state.get("v", np.zeros_like(theta))
        state["v"] = beta * v + (1 - beta) * grad
        theta -= lr * state["v"]

    res = check_optimizer_step(ema, "momentum", lr=0.1, beta=0.9, verbose=False)
    assert not res and "EMA form" in res.comparisons[0].hint
    # ... and it is exactly right against the EMA reference
    assert check_optimizer_step(ema, "momentum", lr=0.1, beta=0.9, form="ema", verbose=False)


def test_wrong_sign_and_not_in_place():
    def ascent(theta, grad, state):
        theta += 0.1 * grad

    res = check_optimizer_step(ascent, "sgd", lr=0.1, verbose=False)
    assert not res and "wrong sign" in res.comparisons[0].hint

    def returns_new(theta, grad, state):
        return theta - 0.1 * grad

    assert check_optimizer_step(returns_new, "sgd", lr=0.1, verbose=False)

    def forgets(theta, grad, state):
        theta = theta - 0.1 * grad   # rebinds a local name: the caller's array is unchanged

    res = check_optimizer_step(forgets, "sgd", lr=0.1, verbose=False)
    assert not res and "theta did not change" in res.comparisons[0].hint


# --- compare ---------------------------------------------------------------------------------------
def test_compare_reports_largest_errors_and_positions():
    ref = np.array([[1.0, 2.0], [3.0, 4.0]])
    mine = ref.copy()
    mine[1, 0] += 0.5
    mine[0, 0] += 0.4
    c = compare("x", mine, ref)
    assert not c.passed
    assert c.max_abs == pytest.approx(0.5) and c.where_abs == "index (1, 0)"
    assert c.max_rel == pytest.approx(0.4 / 1.4) and c.where_rel == "index (0, 0)"
    assert compare("x", ref + 1e-12, ref).passed
    nan = compare("x", np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    assert not nan.passed and "NaN" in nan.hint
