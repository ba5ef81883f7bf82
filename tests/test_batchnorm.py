"""Tests of nnbook.BatchNorm, alone and inside Dense / Network: statistics, modes, gradients, I/O."""
from __future__ import annotations

import numpy as np
import pytest

import nnbook as nb
from nnbook.gradcheck import check_network_gradients, numerical_gradient, relative_error
from nnbook.layers import BatchNorm, Dense

TOL = 1e-7


def _bn_with_params(n, rng, **kw):
    bn = BatchNorm(n, **kw)
    bn.gamma[...] = rng.uniform(0.5, 2.0, size=(n, 1))
    bn.beta[...] = rng.normal(size=(n, 1))
    return bn


# --- forward ---------------------------------------------------------------------------------
def test_training_forward_normalizes_each_row_over_the_batch(rng):
    Z = rng.normal(3.0, 5.0, size=(4, 50))
    bn = BatchNorm(4)
    out = bn.forward(Z, training=True)
    assert out.shape == (4, 50)
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-12)
    # std sqrt(var / (var + eps)): just below 1
    var = Z.var(axis=1)
    np.testing.assert_allclose(out.std(axis=1), np.sqrt(var / (var + 1e-5)), rtol=1e-12)


def test_gamma_and_beta_set_the_mean_and_std(rng):
    Z = rng.normal(size=(3, 40))
    bn = BatchNorm(3, eps=1e-12)
    bn.gamma[...] = [[2.0], [0.5], [3.0]]
    bn.beta[...] = [[-1.0], [4.0], [0.0]]
    out = bn.forward(Z, training=True)
    np.testing.assert_allclose(out.mean(axis=1), [-1.0, 4.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1), [2.0, 0.5, 3.0], rtol=1e-9)


def test_forward_matches_the_equation(rng):
    Z = rng.normal(size=(3, 6))
    bn = _bn_with_params(3, rng, eps=1e-3)
    mu = Z.mean(axis=1, keepdims=True)
    var = ((Z - mu) ** 2).mean(axis=1, keepdims=True)
    expected = bn.gamma * (Z - mu) / np.sqrt(var + 1e-3) + bn.beta
    np.testing.assert_allclose(bn.forward(Z, training=True), expected, rtol=1e-13)


def test_running_statistics_follow_the_documented_update(rng):
    bn = BatchNorm(2, momentum=0.8)
    Z1, Z2 = rng.normal(1.0, 2.0, size=(2, 5)), rng.normal(-1.0, 0.5, size=(2, 5))
    bn.forward(Z1, training=True)
    bn.forward(Z2, training=True)
    mean = 0.8 * (0.8 * 0.0 + 0.2 * Z1.mean(1)) + 0.2 * Z2.mean(1)
    var = 0.8 * (0.8 * 1.0 + 0.2 * Z1.var(1, ddof=1)) + 0.2 * Z2.var(1, ddof=1)
    np.testing.assert_allclose(bn.running_mean.ravel(), mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.ravel(), var, rtol=1e-12)


def test_running_statistics_converge_to_the_population_ones(rng):
    bn = BatchNorm(1, momentum=0.9)
    for _ in range(300):
        bn.forward(rng.normal(2.0, 3.0, size=(1, 64)), training=True)
    assert bn.running_mean.item() == pytest.approx(2.0, abs=0.3)
    assert bn.running_var.item() == pytest.approx(9.0, rel=0.15)


def test_eval_mode_uses_running_statistics_and_does_not_update_them(rng):
    bn = _bn_with_params(3, rng)
    bn.running_mean[...] = [[1.0], [-2.0], [0.5]]
    bn.running_var[...] = [[4.0], [0.25], [9.0]]
    Z = rng.normal(size=(3, 7))
    out = bn.forward(Z, training=False)
    expected = bn.gamma * (Z - bn.running_mean) / np.sqrt(bn.running_var + 1e-5) + bn.beta
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    np.testing.assert_array_equal(bn.running_mean.ravel(), [1.0, -2.0, 0.5])
    # one sample at a time gives the same columns: no dependence on the batch
    one = bn.forward(Z[:, 2:3], training=False)
    np.testing.assert_allclose(one, out[:, 2:3], rtol=1e-13)


def test_training_output_depends_on_the_batch(rng):
    bn = BatchNorm(2)
    Z = rng.normal(size=(2, 8))
    full = bn.forward(Z, training=True)
    half = bn.forward(Z[:, :4], training=True)
    assert np.abs(full[:, :4] - half).max() > 1e-3


# --- backward --------------------------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False])
def test_backward_gradient_check_alone(rng, training):
    n, m = 3, 6
    bn = _bn_with_params(n, rng, eps=1e-3)
    bn.running_mean[...] = rng.normal(size=(n, 1))
    bn.running_var[...] = rng.uniform(0.5, 2.0, size=(n, 1))
    Z = rng.normal(size=(n, m))
    C = rng.normal(size=(n, m))  # J = sum(C * BN(Z)) + sum(BN(Z)^2) / 2: a non-linear cost
    mean0, var0 = bn.running_mean.copy(), bn.running_var.copy()

    def cost():
        bn.running_mean[...], bn.running_var[...] = mean0, var0
        out = bn.forward(Z, training=training)
        return float((C * out).sum() + 0.5 * (out ** 2).sum())

    cost()
    out = bn.forward(Z, training=training)
    dZ = bn.backward(C + out)
    grads = {"Z": dZ, "gamma": bn.dgamma.copy(), "beta": bn.dbeta.copy()}
    for name, x in (("Z", Z), ("gamma", bn.gamma), ("beta", bn.beta)):
        err = relative_error(grads[name], numerical_gradient(cost, x))
        assert err < TOL, (name, err)


def test_training_backward_of_a_sum_is_zero(rng):
    # sum_i z_hat_i = 0 for every Z: the gradient of sum(BN(Z)) with respect to Z is exactly 0
    bn = _bn_with_params(2, rng)
    bn.forward(rng.normal(size=(2, 5)), training=True)
    dZ = bn.backward(np.ones((2, 5)))
    np.testing.assert_allclose(dZ, 0.0, atol=1e-14)
    np.testing.assert_allclose(bn.dbeta.ravel(), [5.0, 5.0])


@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid"])
def test_dense_with_batchnorm_gradient_check(rng, act):
    layer = Dense(3, 4, act, rng=2, batchnorm=True, bn_eps=1e-3)
    layer.bn.gamma[...] = rng.uniform(0.5, 2.0, size=(4, 1))
    layer.bn.beta[...] = rng.normal(size=(4, 1))
    assert layer.db is None and not layer.b.any()      # b is a constant 0, not a parameter
    assert layer.n_params == 3 * 4 + 2 * 4
    assert [n for n, _ in layer.param_slots()] == ["W", "gamma", "beta"]
    X = rng.normal(size=(3, 7))
    C = rng.normal(size=(4, 7))

    def cost():
        return float((C * layer.forward(X, training=True)).sum())

    cost()
    dX = layer.backward(C)
    analytic = {"X": dX, "W": layer.dW.copy(), "gamma": layer.bn.dgamma.copy(),
                "beta": layer.bn.dbeta.copy()}
    for name, x in (("X", X), ("W", layer.W), ("gamma", layer.bn.gamma), ("beta", layer.bn.beta)):
        err = relative_error(analytic[name], numerical_gradient(cost, x))
        assert err < TOL, (name, err)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("hidden, loss, n_out", [("tanh", "mse", 2), ("sigmoid", "cce", 3),
                                                 ("tanh", "bce", 1)])
def test_network_gradient_check_covers_gamma_and_beta(rng, training, hidden, loss, n_out):
    net = nb.Network([3, 5, 4, n_out], hidden=hidden, loss=loss, batchnorm=True, seed=3,
                     bn_eps=1e-3)
    for layer in net.layers[:-1]:
        layer.bn.gamma[...] = rng.uniform(0.5, 2.0, size=layer.bn.gamma.shape)
        layer.bn.beta[...] = rng.normal(size=layer.bn.beta.shape)
        layer.bn.running_mean[...] = rng.normal(size=layer.bn.running_mean.shape)
    X = rng.normal(size=(3, 8))
    Y = (np.eye(n_out)[:, rng.integers(0, n_out, size=8)] if loss == "cce"
         else (rng.uniform(size=(n_out, 8)) < 0.5).astype(float) if loss == "bce"
         else rng.normal(size=(n_out, 8)))
    errors = check_network_gradients(net, X, Y, training=training)
    assert set(errors) == {"W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "b3"}
    assert max(errors.values()) < TOL, errors
    # the gradients are views into net.grad
    g = dict((name, d) for name, _, d in net.named_parameters())
    assert np.shares_memory(g["gamma1"], net.grad) and np.shares_memory(g["beta2"], net.grad)


def test_network_layout_and_per_layer_flags():
    net = nb.Network([4, 6, 5, 2], batchnorm=[True, False])
    names = [n for n, _, _ in net.named_parameters()]
    assert names == ["W1", "gamma1", "beta1", "W2", "b2", "W3", "b3"]
    assert net.n_params == 4 * 6 + 12 + 6 * 5 + 5 + 5 * 2 + 2 == net.theta.size
    assert [n for n, _ in net.named_buffers()] == ["running_mean1", "running_var1"]
    assert net.layers[-1].bn is None
    np.testing.assert_array_equal(net.layers[0].bn.gamma, 1.0)
    np.testing.assert_array_equal(net.layers[0].bn.beta, 0.0)
    # gamma and beta are views into theta: an update of theta moves them
    net.theta[...] = 0.5
    np.testing.assert_array_equal(net.layers[0].bn.gamma, 0.5)
    with pytest.raises(ValueError, match="one flag per hidden layer"):
        nb.Network([4, 6, 5, 2], batchnorm=[True])


def test_eval_forward_of_a_network_matches_manual_computation(rng):
    net = nb.Network([3, 4, 1], hidden="relu", batchnorm=True, seed=1)
    bn = net.layers[0].bn
    bn.running_mean[...] = rng.normal(size=(4, 1))
    bn.running_var[...] = rng.uniform(0.5, 2, size=(4, 1))
    X = rng.normal(size=(3, 5))
    W1, W2, b2 = net.layers[0].W, net.layers[1].W, net.layers[1].b
    Zt = bn.gamma * (W1 @ X - bn.running_mean) / np.sqrt(bn.running_var + 1e-5) + bn.beta
    expected = W2 @ np.maximum(Zt, 0) + b2
    np.testing.assert_allclose(net.forward(X), expected, rtol=1e-12)


def test_regularization_does_not_penalize_gamma_beta():
    net = nb.Network([3, 4, 2], batchnorm=True, seed=0)
    net.layers[0].bn.gamma[...] = 7.0
    expected = sum(float((layer.W ** 2).sum()) for layer in net.layers)
    assert nb.regularization.penalty(net, l2=1.0) == pytest.approx(expected, rel=1e-12)
    net.grad[...] = 0.0
    nb.regularization.add_penalty_gradient(net, l2=1.0)
    np.testing.assert_array_equal(net.layers[0].bn.dgamma, 0.0)
    assert np.abs(net.layers[0].dW).max() > 0


# --- dtypes, devices, I/O ---------------------------------------------------------------------
def test_float32_stays_float32(rng):
    net = nb.Network([4, 6, 3], loss="cce", batchnorm=True, dtype=np.float32)
    X = rng.normal(size=(4, 8))
    Y = np.eye(3)[:, rng.integers(0, 3, size=8)]
    J = net.loss_and_grad(X, Y, training=True)
    assert np.isfinite(J)
    bn = net.layers[0].bn
    for arr in (net.theta, net.grad, bn.gamma, bn.dgamma, bn.running_mean, bn.running_var,
                net.layers[0].Z_tilde, net.forward(X)):
        assert arr.dtype == np.float32
    alone = BatchNorm(3, dtype=np.float32)
    out = alone.forward(rng.normal(size=(3, 4)).astype(np.float32), training=True)
    assert out.dtype == np.float32
    assert alone.backward(np.ones((3, 4), np.float32)).dtype == np.float32


@pytest.mark.gpu
def test_batchnorm_network_on_gpu_matches_cpu(cp, rng):
    cpu = nb.Network([4, 6, 5, 3], hidden="tanh", loss="cce", batchnorm=True, seed=5)
    gpu = nb.Network([4, 6, 5, 3], hidden="tanh", loss="cce", batchnorm=True, seed=5,
                     device="gpu")
    X = rng.normal(size=(4, 8))
    Y = np.eye(3)[:, rng.integers(0, 3, size=8)]
    J_cpu = cpu.loss_and_grad(X, Y, training=True)
    J_gpu = gpu.loss_and_grad(X, cp.asarray(Y), training=True)
    assert J_gpu == pytest.approx(J_cpu, rel=1e-10)
    assert isinstance(gpu.layers[0].bn.running_var, cp.ndarray)
    np.testing.assert_allclose(gpu.grad.get(), cpu.grad, rtol=1e-9, atol=1e-12)
    for (name, b_cpu), (_, b_gpu) in zip(cpu.named_buffers(), gpu.named_buffers()):
        np.testing.assert_allclose(b_gpu.get(), b_cpu, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(gpu.forward(X).get(), cpu.forward(X), rtol=1e-9, atol=1e-12)
    errors = check_network_gradients(gpu, X, Y, training=True)
    assert max(errors.values()) < TOL, errors


def test_save_load_round_trip(tmp_path, rng):
    net = nb.Network([3, 5, 4, 2], hidden="tanh", loss="cce", batchnorm=[True, False],
                     bn_momentum=0.8, bn_eps=1e-4, seed=2)
    X = rng.normal(size=(3, 16))
    Y = np.eye(2)[:, rng.integers(0, 2, size=16)]
    nb.fit(net, X, Y, epochs=3, lr=0.1, batch_size=8)
    path = nb.save_network(net, tmp_path / "bn")
    with np.load(path) as f:
        assert {"W1", "gamma1", "beta1", "running_mean1", "running_var1", "W2", "b2"} <= set(f.files)
        assert "b1" not in f.files
    back = nb.load_network(path)
    assert back.layers[0].bn is not None and back.layers[1].bn is None
    assert (back.layers[0].bn.momentum, back.layers[0].bn.eps) == (0.8, 1e-4)
    np.testing.assert_array_equal(back.theta, net.theta)
    for (name, a), (_, b) in zip(net.named_buffers(), back.named_buffers()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert not np.allclose(net.layers[0].bn.running_var, 1.0)  # the training moved them
    np.testing.assert_array_equal(back.forward(X), net.forward(X))
    # a network without batch norm refuses the file, before changing anything
    plain = nb.Network([3, 5, 4, 2], hidden="tanh", loss="cce")
    theta = plain.theta.copy()
    with pytest.raises(ValueError, match="batchnorm"):
        nb.io.load_parameters(plain, path)
    np.testing.assert_array_equal(plain.theta, theta)


# --- training ---------------------------------------------------------------------------------
def test_fit_end_to_end_and_deterministic(rng):
    X = rng.normal(size=(2, 96))
    y = (X[0] * X[1] > 0).astype(int)  # XOR-like quadrants
    Y = np.eye(2)[:, y]

    def run():
        net = nb.Network([2, 16, 16, 2], hidden="relu", loss="cce", batchnorm=True, seed=4)
        hist = nb.fit(net, X, Y, epochs=60, lr=0.1, batch_size=16, seed=1)
        return net, hist

    net, hist = run()
    net2, hist2 = run()
    np.testing.assert_array_equal(net.theta, net2.theta)
    np.testing.assert_array_equal(net.layers[0].bn.running_mean, net2.layers[0].bn.running_mean)
    loss = np.asarray(hist["loss"])
    assert loss[-1] < 0.5 * loss[0]
    assert nb.accuracy(net, X, Y) > 0.9


# --- errors -----------------------------------------------------------------------------------
def test_errors_on_bad_input(rng):
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match="at least 2 samples"):
        bn.forward(rng.normal(size=(3, 1)), training=True)
    bn.forward(rng.normal(size=(3, 1)), training=False)  # one sample is fine in evaluation
    with pytest.raises(ValueError, match="samples in columns"):
        bn.forward(rng.normal(size=(5, 3)), training=True)
    with pytest.raises(ValueError, match="3 rows"):
        bn.forward(rng.normal(size=(3,)), training=True)
    with pytest.raises(ValueError, match="dZ_tilde of shape"):
        bn.backward(np.ones((3, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        BatchNorm(2).backward(np.ones((2, 2)))
    for bad in (dict(momentum=1.0), dict(momentum=-0.1), dict(eps=0.0), dict(eps=True)):
        with pytest.raises(ValueError, match="momentum|eps"):
            BatchNorm(3, **bad)
    with pytest.raises(ValueError, match="positive integer"):
        BatchNorm(0)
    with pytest.raises(ValueError, match="batchnorm must be True or False"):
        Dense(2, 3, batchnorm="yes")
    net = nb.Network([2, 3, 1], batchnorm=True)
    with pytest.raises(ValueError, match="at least 2 samples"):
        net.forward(np.zeros((2, 1)), training=True)
    with pytest.raises(ValueError, match="without dropout"):
        check_network_gradients(nb.Network([2, 3, 1], batchnorm=True, dropout=0.5),
                                np.zeros((2, 4)), np.zeros((1, 4)), training=True)
