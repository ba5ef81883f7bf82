"""Tests of what nnbook.checkers must catch for graded work (issue 14): in-place changes,
numerical stability, hints that name the real mistake, missing returns, nnbook's own code
handed back, and the forward-pass, network-backward and training-loop checkers."""
from __future__ import annotations

import numpy as np
import pytest

import nnbook as nb
from nnbook.checkers import (
    check_activation, check_forward, check_layer_backward, check_loss, check_network_backward,
    check_optimizer_step, check_training_loop,
)


def hints(res):
    return " | ".join(c.hint for c in res.failures)


# --- student code, right and wrong ---------------------------------------------------------
def relu(z):
    return np.maximum(z, 0.0)


def relu_in_place(z):
    z[z < 0] = 0.0
    return z


def relu_prime(z):
    return (z > 0).astype(float)


def softmax_stable(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def softmax_naive(Z):
    E = np.exp(Z)
    return E / E.sum(axis=0, keepdims=True)


def softmax_wrong_axis(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def layer_backward(dA, Z, A_prev, W, g_prime):
    dZ = dA * g_prime(Z)
    return W.T @ dZ, dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True)


def forward(params, activations, X):
    A, cache = X, []
    for (W, b), g in zip(params, activations):
        A_prev, Z = A, W @ A + b
        A = g(Z)
        cache.append((A_prev, Z, A))
    return A, cache


def backward(params, cache, dZ_L, primes):
    grads, dZ = [None] * len(params), dZ_L
    for l in reversed(range(len(params))):
        A_prev = cache[l][0]
        grads[l] = (dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True))
        if l > 0:
            dZ = (params[l][0].T @ dZ) * primes[l - 1](cache[l - 1][1])
    return grads


def adam_step(theta, grad, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * grad
    v = state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * grad ** 2
    theta -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)


# --- in-place mutation -------------------------------------------------------------------------
def test_relu_overwriting_its_input_is_reported():
    res = check_activation(relu_in_place, relu_prime, "relu", verbose=False)
    assert not res
    assert "changed its argument `z` in place" in hints(res)
    assert check_activation(relu, relu_prime, "relu", verbose=False)


def test_layer_modifying_dA_is_reported():
    def bad(dA, Z, A_prev, W, g_prime):
        dA *= g_prime(Z)
        return W.T @ dA, dA @ A_prev.T, dA.sum(axis=1, keepdims=True)

    res = check_layer_backward(bad, "tanh", verbose=False)
    assert not res and "`dA` in place" in hints(res)
    # the values themselves are right: only the in-place change fails
    assert sum(not c.passed for c in res.comparisons) == 1


def test_softmax_gradient_modifying_its_input_is_reported():
    def grad(Z, Y):
        Z -= Z.max(axis=0, keepdims=True)
        E = np.exp(Z)
        return (E / E.sum(axis=0) - Y) / Y.shape[1]

    def value(Z, Y):
        S = softmax_stable(Z)
        return -np.sum(Y * np.log(S)) / Y.shape[1]

    res = check_loss(value, grad, "softmax_cross_entropy", verbose=False)
    assert not res and "`Y_hat` in place" in hints(res)


def test_adam_modifying_the_gradient_is_reported():
    def bad(theta, grad, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        grad *= 1.0 + 0.0 * grad       # looks harmless; writes into the caller's array
        grad[...] = grad / 1.0 + 0.0
        np.multiply(grad, 1.0, out=grad)
        grad += 0.0
        grad[0, 0] = grad[0, 0] * 1.0000001
        adam_step(theta, grad, state, lr, beta1, beta2, eps)

    res = check_optimizer_step(bad, "adam", lr=0.01, verbose=False)
    assert not res and "`grad` in place" in hints(res)


# --- numerical stability and the softmax axis ------------------------------------------------
def test_naive_softmax_fails_at_large_logits_with_hint():
    res = check_activation(softmax_naive, None, "softmax", verbose=False)
    assert not res
    assert res.comparisons[0].passed                   # right at moderate logits
    assert "subtract each column's maximum" in res.comparisons[1].hint
    assert check_activation(softmax_stable, None, "softmax", verbose=False)


def test_softmax_check_uses_the_given_z():
    z = np.array([[0.0, 1.0], [2.0, -1.0], [3.0, 0.5]])
    res = check_activation(softmax_stable, None, "softmax", z=z, verbose=False)
    assert res and "sample 1" in res.comparisons[0].where_abs or res.comparisons[0].max_abs == 0
    seen = []
    check_activation(lambda Z: seen.append(Z.shape) or softmax_stable(Z), None, "softmax",
                     z=z, verbose=False)
    assert seen[0] == (3, 2)


def test_softmax_along_the_wrong_axis_gets_an_axis_hint():
    res = check_activation(softmax_wrong_axis, None, "softmax", verbose=False)
    assert not res and "axis" in res.comparisons[0].hint and "columns" in res.comparisons[0].hint

    def value(Z, Y):
        return -np.sum(Y * np.log(softmax_wrong_axis(Z))) / Y.shape[1]

    res = check_loss(value, None, "softmax_cross_entropy", verbose=False)
    assert "axis" in res.comparisons[0].hint


def test_naive_log_softmax_cost_fails_at_large_logits():
    def value(Z, Y):
        return -np.sum(Y * np.log(softmax_naive(Z))) / Y.shape[1]

    with np.errstate(all="ignore"):
        res = check_loss(value, None, "softmax_cross_entropy", verbose=False)
    assert res.comparisons[0].passed and not res.comparisons[1].passed
    assert "log-sum-exp" in res.comparisons[1].hint


# --- hints that point at the real mistake ---------------------------------------------------
def test_rows_layout_cross_entropy_is_told_about_the_classes_not_half():
    def value(A, Y):
        return -np.mean(Y * np.log(A))        # mean over all n·m entries

    res = check_loss(value, None, "cce", verbose=False)
    assert not res
    h = res.comparisons[0].hint
    assert "classes" in h and "half" not in h


def test_summed_cost_does_not_flag_the_right_gradient():
    def value(A, Y):
        return -np.sum(Y * np.log(A))          # summed over the samples: wrong

    def grad(A, Y):
        return -(Y / A) / Y.shape[1]           # right

    res = check_loss(value, grad, "cce", verbose=False)
    assert not res.comparisons[0].passed and "summed" in res.comparisons[0].hint
    assert res.comparisons[1].passed and res.comparisons[2].passed
    assert len(res.failures) == 1


def test_eps_inside_the_square_root_is_named():
    def bad(theta, grad, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        t = state["t"] = state.get("t", 0) + 1
        m = state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * grad
        v = state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * grad ** 2
        theta -= lr * (m / (1 - beta1 ** t)) / np.sqrt(v / (1 - beta2 ** t) + eps)

    res = check_optimizer_step(bad, "adam", lr=0.01, eps=1e-6, verbose=False)
    assert not res and "ε inside the square root" in res.failures[0].hint
    assert "1 × the reference" not in hints(res)


def test_missing_return_is_named():
    def no_return(z):
        np.maximum(z, 0.0)

    res = check_activation(no_return, None, "relu", verbose=False)
    assert not res and "missing `return`" in res.comparisons[0].hint


def test_correct_adam_with_other_defaults_passes_because_hyperparameters_are_passed():
    # the student's default lr is 1e-3, the checker asks for 0.01 and nnbook's betas/eps
    assert check_optimizer_step(adam_step, "adam", lr=0.01, verbose=False)

    class AdamClass:
        def __init__(self, lr=0.5, beta1=0.5, beta2=0.5, eps=1.0):
            self.h, self.state = dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps), {}

        def step(self, theta, grad):
            adam_step(theta, grad, self.state, **self.h)

    assert check_optimizer_step(AdamClass, "adam", lr=0.01, verbose=False)


def test_function_without_hyperparameter_arguments_still_works():
    def sgd(theta, grad, state):
        theta -= 0.1 * grad

    assert check_optimizer_step(sgd, "sgd", lr=0.1, verbose=False)
    assert not check_optimizer_step(sgd, "sgd", lr=0.01, verbose=False)


# --- nnbook's own implementation handed back --------------------------------------------------
def test_returning_nnbooks_function_fails_only_when_own_code_is_asked():
    assert check_activation(nb.activations.relu, nb.activations.relu_prime, "relu", verbose=False)

    res = check_activation(nb.activations.relu, nb.activations.relu_prime, "relu",
                           own_code=True, verbose=False)
    assert not res and "nnbook's implementation" in hints(res)

    def wrapper(z):
        return nb.activations.relu(z)

    res = check_activation(wrapper, None, "relu", own_code=True, verbose=False)
    assert not res and "nnbook.activations.relu" in hints(res)
    assert check_activation(relu, relu_prime, "relu", own_code=True, verbose=False)


def test_calling_the_given_derivative_is_allowed_but_nnbooks_dense_is_not():
    assert check_layer_backward(layer_backward, "sigmoid", own_code=True, verbose=False)

    def cheat(dA, Z, A_prev, W, g_prime):
        layer = nb.Dense(W.shape[1], W.shape[0], "sigmoid")
        layer.W[...] = W
        layer.forward(A_prev)
        layer.Z = Z
        return layer.backward(dA), layer.dW, layer.db

    assert not check_layer_backward(cheat, "sigmoid", own_code=True, verbose=False)


# --- the forward pass, the network's backward pass -------------------------------------------
def test_check_forward_passes_a_right_forward_and_names_mistakes():
    assert check_forward(forward, verbose=False)
    assert check_forward(lambda p, g, X: forward(p, g, X)[0], verbose=False)
    assert check_forward(forward, own_code=True, verbose=False)   # calling the given g is fine

    def no_bias(params, activations, X):
        A = X
        for (W, b), g in zip(params, activations):
            A = g(W @ A)
        return A

    res = check_forward(no_bias, verbose=False)
    assert not res and "biases" in res.comparisons[0].hint

    def no_last(params, activations, X):
        A = X
        for l, ((W, b), g) in enumerate(zip(params, activations)):
            Z = W @ A + b
            A = Z if l == len(params) - 1 else g(Z)
        return A

    res = check_forward(no_last, verbose=False)
    assert not res and "last layer's activation" in res.comparisons[0].hint

    def bad_cache(params, activations, X):
        A, cache = forward(params, activations, X)
        return A, [(c[0], c[1], c[1]) for c in cache]      # Z stored where A belongs

    res = check_forward(bad_cache, verbose=False)
    assert not res and res.comparisons[0].passed
    assert any("cache layer 1: A" == c.label for c in res.failures)


def test_check_network_backward_passes_a_right_backward_and_names_a_missing_derivative():
    assert check_network_backward(backward, verbose=False)
    assert check_network_backward(backward, own_code=True, verbose=False)

    def no_prime(params, cache, dZ_L, primes):
        grads, dZ = [None] * len(params), dZ_L
        for l in reversed(range(len(params))):
            grads[l] = (dZ @ cache[l][0].T, dZ.sum(axis=1, keepdims=True))
            if l > 0:
                dZ = params[l][0].T @ dZ
        return grads

    res = check_network_backward(no_prime, verbose=False)
    assert not res and "without the factor g'" in hints(res)
    # the last layer's gradients are right
    assert all(c.passed for c in res.comparisons if c.label.startswith(("dW3", "db3")))


# --- a whole training loop ----------------------------------------------------------------------
def softmax_regression(X, Y, seed, epochs=60, lr=0.5):
    rng = np.random.default_rng(seed)
    W, b = rng.normal(0.0, 0.01, (10, X.shape[0])), np.zeros((10, 1))
    m, losses = X.shape[1], []
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(m), m // 64):
            Xb, Yb = X[:, idx], Y[:, idx]
            S = softmax_stable(W @ Xb + b)
            dZ = (S - Yb) / Xb.shape[1]
            W -= lr * dZ @ Xb.T
            b -= lr * dZ.sum(axis=1, keepdims=True)
        S = softmax_stable(W @ X + b)
        losses.append(-np.sum(Y * np.log(S)) / m)
    return (lambda Xt: W @ Xt + b), losses


def test_check_training_loop_passes_a_working_loop():
    res = check_training_loop(softmax_regression, min_accuracy=0.9, verbose=False)
    assert res, str(res)
    assert 0.9 <= res.accuracy <= 1.0


def test_check_training_loop_catches_a_wrong_sign_and_irreproducible_runs():
    def ascent(X, Y, seed):
        rng = np.random.default_rng(seed)
        W = rng.normal(0.0, 0.01, (10, X.shape[0]))
        for _ in range(20):
            W += 0.5 * (softmax_stable(W @ X) - Y) @ X.T / X.shape[1]    # the wrong sign
        return lambda Xt: W @ Xt

    res = check_training_loop(ascent, verbose=False)
    assert not res and res.accuracy < 0.5

    def unseeded(X, Y, seed):
        return softmax_regression(X, Y, int(np.random.default_rng().integers(1 << 30)),
                                  epochs=3)

    res = check_training_loop(unseeded, min_accuracy=0.5, verbose=False)
    assert any("same seed" in c.label for c in res.failures)


def test_check_training_loop_refuses_nnbooks_fit_when_own_code_is_asked():
    def with_fit(X, Y, seed):
        net = nb.Network([64, 10], activations=["softmax"], loss="cce", seed=seed)
        nb.fit(net, X, Y, epochs=3, batch_size=64, optimizer="adam", lr=1e-2, verbose=False)
        return net.predict

    assert check_training_loop(with_fit, min_accuracy=0.5, verbose=False)
    res = check_training_loop(with_fit, min_accuracy=0.5, own_code=True, verbose=False)
    assert not res and "nnbook's implementation" in hints(res)


# --- issue 14, second review: cheats, false passes, false fails ------------------------------
def test_log_of_a_stable_softmax_fails_when_logits_are_far_apart():
    def value(Z, Y):
        return -np.sum(Y * np.log(softmax_stable(Z))) / Y.shape[1]

    with np.errstate(all="ignore"):
        res = check_loss(value, None, "softmax_cross_entropy", verbose=False)
    assert res.comparisons[0].passed and res.comparisons[1].passed   # right, and shift-proof
    assert not res.comparisons[2].passed and "log-sum-exp" in res.comparisons[2].hint


def test_switching_off_the_watch_or_using_a_thread_is_caught():
    import sys
    from concurrent.futures import ThreadPoolExecutor

    def switch_off(z):
        sys.setprofile(None)
        return nb.activations.relu(z)

    res = check_activation(switch_off, None, "relu", own_code=True, verbose=False)
    assert not res and "setprofile" in hints(res)

    def in_a_thread(z):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(nb.activations.relu, z).result()

    res = check_activation(in_a_thread, None, "relu", own_code=True, verbose=False)
    assert not res and "nnbook's implementation" in hints(res)


def test_selftest_fails_when_numpy_is_patched(monkeypatch):
    from nnbook import checkers

    assert checkers.selftest()
    monkeypatch.setattr(np, "all", lambda *a, **k: True)
    with pytest.raises(RuntimeError, match="grading environment was changed"):
        checkers.selftest()


def test_a_gradient_kept_in_state_and_changed_later_is_reported():
    def aliasing(theta, grad, state, lr=0.1, beta=0.9):
        if "v" not in state:
            state["v"] = grad                       # the caller's array itself
        else:
            state["v"] *= beta
            state["v"] += grad
        theta -= lr * state["v"]

    res = check_optimizer_step(aliasing, "momentum", lr=0.1, beta=0.9, verbose=False)
    assert not res and "kept `grad` itself in `state`" in hints(res)


def test_momentum_moving_theta_before_v_and_adam_t_off_by_one_are_named():
    def late(theta, grad, state, lr=0.1, beta=0.9):
        theta -= lr * state.get("v", 0.0)
        state["v"] = beta * state.get("v", 0.0) + grad

    res = check_optimizer_step(late, "momentum", lr=0.1, beta=0.9, verbose=False)
    assert "update v first" in hints(res)

    def adam_t2(theta, grad, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        state["t"] = state.get("t", 0) + 1
        adam_step(theta, grad, state, lr, beta1, beta2, eps)    # increments t again

    res = check_optimizer_step(adam_t2, "adam", lr=0.01, verbose=False)
    assert not res and "t is off by one" in hints(res)


def test_an_optimizer_instance_is_rebuilt_with_the_tests_hyperparameters():
    class Adam:
        def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            self.h, self.state = dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps), {}

        def step(self, theta, grad):
            adam_step(theta, grad, self.state, **self.h)

    assert check_optimizer_step(Adam(), "adam", lr=0.01, verbose=False)


def test_float32_differences_get_a_float32_hint_and_forward_may_return_a_list():
    res = check_activation(lambda z: (1 / (1 + np.exp(-z.astype(np.float32)))), None,
                           "sigmoid", rtol=1e-10, atol=0.0, verbose=False)
    assert not res and "float32" in res.comparisons[0].hint
    assert check_forward(lambda p, g, X: list(forward(p, g, X)), verbose=False)


def test_a_reversed_gradient_list_is_named():
    res = check_network_backward(lambda *a: backward(*a)[::-1], verbose=False)
    assert not res and "reverse order" in hints(res)


def test_training_loop_seed_losses_time_and_nan_checks():
    def ignores_seed(X, Y, seed):
        return softmax_regression(X, Y, 42, epochs=5)

    res = check_training_loop(ignores_seed, min_accuracy=0.5, verbose=False)
    assert [c.label for c in res.failures] == ["another seed gives another run"]

    def no_losses(X, Y, seed):
        return softmax_regression(X, Y, seed, epochs=5)[0]

    res = check_training_loop(no_losses, min_accuracy=0.5, require_losses=True, verbose=False)
    assert any("training cost of each epoch" in c.label for c in res.failures)
    res = check_training_loop(lambda X, Y, s: softmax_regression(X, Y, s, epochs=5),
                              min_accuracy=0.5, max_seconds=1e-6, verbose=False)
    assert [c.label.split(" (")[0] for c in res.failures] == ["one training run takes at most 1e-06 s"]

    def diverged(X, Y, seed):
        return (lambda Xt: np.full((10, Xt.shape[1]), np.nan)), [1.0, np.nan]

    res = check_training_loop(diverged, verbose=False)
    assert not res and "diverged" in hints(res)
