"""Tests of nnbook.regularization (penalties, early stopping) and of dropout in Dense / Network."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nnbook as nb
from nnbook.gradcheck import numerical_gradient, relative_error
from nnbook.layers import Dense
from nnbook.optimizers import SGD
from nnbook.regularization import EarlyStopping, add_penalty_gradient, penalty


# --- L1 / L2 penalties ----------------------------------------------------------------------
def small_net():
    net = nb.Network([2, 2, 1], hidden="tanh", loss="mse", seed=0)
    net.set_parameters([np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([[5.0], [-5.0]]),
                        np.array([[0.5, -1.0]]), np.array([[7.0]])])
    return net


def test_penalty_hand_values_and_biases_excluded():
    net = small_net()
    assert penalty(net, l1=0.1) == pytest.approx(0.1 * (1 + 2 + 0 + 3 + 0.5 + 1))      # 0.75
    assert penalty(net, l2=0.01) == pytest.approx(0.01 * (1 + 4 + 0 + 9 + 0.25 + 1))   # 0.1525
    assert penalty(net, l1=0.1, l2=0.01) == pytest.approx(0.75 + 0.1525)
    assert penalty(net) == 0.0
    assert penalty(net.layers, l2=1.0) == pytest.approx(15.25)  # a list of layers works too


def test_add_penalty_gradient_hand_values():
    net = small_net()
    net.grad[...] = 0.0
    add_penalty_gradient(net, l1=0.1, l2=0.01)
    np.testing.assert_allclose(net.layers[0].dW, 0.02 * np.array([[1.0, -2.0], [0.0, 3.0]])
                               + 0.1 * np.array([[1.0, -1.0], [0.0, 1.0]]))
    np.testing.assert_allclose(net.layers[1].dW, [[0.02 * 0.5 + 0.1, -0.02 - 0.1]])
    assert np.all(net.layers[0].db == 0) and np.all(net.layers[1].db == 0)


def _penalized_gradcheck(net, X, Y, l1, l2):
    net.loss_and_grad(X, Y)
    add_penalty_gradient(net, l1=l1, l2=l2)
    analytic = {name: g.copy() for name, _, g in net.named_parameters()}

    def J_total():
        net.forward(X)
        return net.cost(Y) + penalty(net, l1=l1, l2=l2)

    return {name: relative_error(analytic[name], numerical_gradient(J_total, p))
            for name, p, _ in net.named_parameters()}


def test_l2_penalty_gradient_check(rng):
    net = nb.Network([3, 4, 2], hidden="tanh", loss="mse", seed=3)
    X, Y = rng.normal(size=(3, 6)), rng.normal(size=(2, 6))
    errors = _penalized_gradcheck(net, X, Y, l1=0.0, l2=0.3)
    assert max(errors.values()) < 1e-7, errors


def test_l1_penalty_gradient_check_away_from_zero(rng):
    net = nb.Network([3, 4, 2], hidden="tanh", loss="mse", seed=4)
    for layer in net.layers:  # keep every weight at least 0.1 away from the kink at 0
        layer.W[...] = np.sign(layer.W) * (0.1 + np.abs(layer.W))
    X, Y = rng.normal(size=(3, 6)), rng.normal(size=(2, 6))
    errors = _penalized_gradcheck(net, X, Y, l1=0.2, l2=0.05)
    assert max(errors.values()) < 1e-7, errors


def test_the_penalty_really_enters_the_check(rng):
    # without add_penalty_gradient the same check fails: the test above can fail
    net = nb.Network([3, 4, 2], hidden="tanh", loss="mse", seed=3)
    X, Y = rng.normal(size=(3, 6)), rng.normal(size=(2, 6))
    net.loss_and_grad(X, Y)
    analytic = net.layers[0].dW.copy()

    def J_total():
        net.forward(X)
        return net.cost(Y) + penalty(net, l2=0.3)

    assert relative_error(analytic, numerical_gradient(J_total, net.layers[0].W)) > 1e-2


def test_lambda_over_2m_convention(rng):
    # J + lam/(2m) ||W||^2 with gradient (lam/m) W  is  l2 = lam / (2m) here
    net = nb.Network([3, 4, 2], seed=1)
    lam, m = 0.7, 16
    sq = sum(float((layer.W ** 2).sum()) for layer in net.layers)
    assert penalty(net, l2=lam / (2 * m)) == pytest.approx(lam / (2 * m) * sq)
    net.grad[...] = 0.0
    add_penalty_gradient(net, l2=lam / (2 * m))
    for layer in net.layers:
        np.testing.assert_allclose(layer.dW, lam / m * layer.W, rtol=1e-14)


def test_l2_step_is_weight_decay():
    net = small_net()
    W = net.layers[0].W.copy()
    net.grad[...] = 0.0
    add_penalty_gradient(net, l2=0.05)
    SGD(0.1).step(net.theta, net.grad)
    np.testing.assert_allclose(net.layers[0].W, (1 - 2 * 0.1 * 0.05) * W)


@pytest.mark.parametrize("kw", [dict(l1=-0.1), dict(l2=-1.0), dict(l2=float("inf"))])
def test_penalty_bad_strength(kw):
    with pytest.raises(ValueError):
        penalty(small_net(), **kw)
    with pytest.raises(ValueError):
        add_penalty_gradient(small_net(), **kw)


# --- dropout --------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["inverted", "classic"])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_expected_training_output_equals_test_output(mode, p, rng):
    layer = Dense(4, 6, "sigmoid", rng=1, dropout=p, dropout_mode=mode)
    x = rng.normal(size=(4, 1))
    M = 20000                                   # M masks at once: the same sample M times
    test_out = layer.forward(x, training=False)
    A = layer.A.copy()                          # g(Z), before dropout
    train_out = layer.forward(np.tile(x, (1, M)), training=True)
    mean = train_out.mean(axis=1, keepdims=True)
    # one training output is A r c with r ~ Bernoulli(1-p), c = 1/(1-p) (inverted) or 1 (classic)
    c = 1 / (1 - p) if mode == "inverted" else 1.0
    se = np.abs(A) * c * math.sqrt(p * (1 - p) / M)
    assert np.all(np.abs(mean - test_out) < 5 * se)
    # the check has power: the unscaled activation A is many standard errors away
    assert np.all(np.abs(mean - (A if mode == "classic" else A * (1 - p))) > 20 * se)
    expected_test = A if mode == "inverted" else (1 - p) * A
    np.testing.assert_allclose(test_out, expected_test, rtol=1e-15)


def test_dropout_mask_statistics_and_values(rng):
    p = 0.3
    layer = Dense(5, 40, "relu", rng=2, dropout=p)
    out = layer.forward(rng.normal(size=(5, 500)), training=True)
    r = layer.mask
    assert set(np.unique(r)) <= {0.0, 1.0}
    n = r.size
    assert abs((1 - r.mean()) - p) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(out, layer.A * r / (1 - p))


@pytest.mark.parametrize("mode", ["inverted", "classic"])
def test_dense_backward_with_frozen_mask_passes_gradient_check(mode, rng):
    layer = Dense(3, 4, "sigmoid", rng=5, dropout=0.4, dropout_mode=mode)
    A_prev = rng.normal(size=(3, 7))
    C = rng.normal(size=(4, 7))                   # J = sum(C * output)
    state = layer.dropout_rng.bit_generator.state

    def J():
        layer.dropout_rng.bit_generator.state = state   # the same mask every time
        return float((C * layer.forward(A_prev, training=True)).sum())

    J()
    assert 0 < layer.mask.sum() < layer.mask.size      # some units dropped, some kept
    dA_prev = layer.backward(dA=C.copy())
    dW = layer.dW.copy()
    db = layer.db.copy()
    assert relative_error(dW, numerical_gradient(J, layer.W)) < 1e-7
    assert relative_error(db, numerical_gradient(J, layer.b)) < 1e-7
    assert relative_error(dA_prev, numerical_gradient(J, A_prev)) < 1e-7


@pytest.mark.parametrize("mode", ["inverted", "classic"])
def test_dense_backward_at_test_time_classic_scaling(mode, rng):
    layer = Dense(3, 4, "tanh", rng=5, dropout=0.25, dropout_mode=mode)
    A_prev = rng.normal(size=(3, 5))
    C = rng.normal(size=(4, 5))

    def J():
        return float((C * layer.forward(A_prev, training=False)).sum())

    J()
    layer.backward(dA=C.copy())
    assert relative_error(layer.dW.copy(), numerical_gradient(J, layer.W)) < 1e-7


@pytest.mark.parametrize("mode", ["inverted", "classic"])
def test_network_with_dropout_gradient_check_with_frozen_masks(mode, rng):
    net = nb.Network([4, 6, 5, 3], hidden="tanh", loss="cce", seed=7, dropout=[0.3, 0.5],
                     dropout_mode=mode)
    X = rng.normal(size=(4, 8))
    Y = np.eye(3)[:, rng.integers(0, 3, 8)]
    states = [layer.dropout_rng.bit_generator.state for layer in net.layers]

    def freeze():
        for layer, s in zip(net.layers, states):
            layer.dropout_rng.bit_generator.state = s

    def cost():
        freeze()
        net.forward(X, training=True)
        return net.cost(Y)

    freeze()
    net.loss_and_grad(X, Y, training=True)
    analytic = {name: g.copy() for name, _, g in net.named_parameters()}
    errors = {name: relative_error(analytic[name], numerical_gradient(cost, p))
              for name, p, _ in net.named_parameters()}
    assert max(errors.values()) < 1e-7, errors


def test_dropout_changes_the_training_pass_only(rng):
    X = rng.normal(size=(4, 10))
    plain = nb.Network([4, 8, 8, 2], seed=3)
    drop = nb.Network([4, 8, 8, 2], seed=3, dropout=0.5)
    np.testing.assert_array_equal(plain.theta, drop.theta)   # same weights for the same seed
    a, b = drop.forward(X), drop.forward(X)
    np.testing.assert_array_equal(a, b)                       # training=False is deterministic
    np.testing.assert_array_equal(a, plain.forward(X))        # inverted: test pass unchanged
    t1, t2 = drop.forward(X, training=True), drop.forward(X, training=True)
    assert not np.allclose(t1, t2)                            # fresh masks each training pass
    np.testing.assert_array_equal(plain.forward(X, training=True), plain.forward(X))
    assert drop.layers[-1].dropout == 0.0 and drop.layers[-1].mask is None   # never the output


def test_same_seed_same_masks_different_seed_different_masks(rng):
    X = rng.normal(size=(4, 10))
    nets = [nb.Network([4, 8, 8, 2], seed=s, dropout=0.5) for s in (11, 11, 12)]
    for net in nets:
        for _ in range(3):
            net.forward(X, training=True)
    masks = [[layer.mask for layer in net.layers[:-1]] for net in nets]
    for m0, m1 in zip(masks[0], masks[1]):
        np.testing.assert_array_equal(m0, m1)
    assert not all(np.array_equal(m0, m2) for m0, m2 in zip(masks[0], masks[2]))


def test_layers_have_independent_mask_streams(rng):
    net = nb.Network([4, 8, 8, 2], seed=0, dropout=0.5)
    net.forward(rng.normal(size=(4, 50)), training=True)
    assert not np.array_equal(net.layers[0].mask, net.layers[1].mask)


def test_dropout_list_per_hidden_layer_and_float32(rng):
    net = nb.Network([3, 5, 4, 2], seed=0, dropout=[0.0, 0.5], dtype=np.float32)
    assert [layer.dropout for layer in net.layers] == [0.0, 0.5, 0.0]
    out = net.forward(rng.normal(size=(3, 6)), training=True)
    assert out.dtype == np.float32 and net.layers[1].mask.dtype == np.float32
    assert net.layers[0].mask is None


@pytest.mark.parametrize("kw, match", [
    (dict(dropout=1.0), r"dropout must be a probability in \[0, 1\)"),
    (dict(dropout=-0.1), "dropout"),
    (dict(dropout=[0.5]), "one probability per hidden layer"),
    (dict(dropout=0.5, dropout_mode="gaussian"), "dropout_mode"),
])
def test_bad_dropout_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        nb.Network([3, 5, 4, 2], **kw)


# --- early stopping -------------------------------------------------------------------------
def test_early_stopping_stops_after_patience_and_restores_best():
    net = nb.Network([2, 3, 1], seed=0)
    losses = [1.0, 0.8, 0.9, 0.85, 0.95, 0.5]
    stopper = EarlyStopping(patience=3)
    stops = []
    for epoch, loss in enumerate(losses):
        net.theta[...] = epoch                     # mark the parameters with the epoch number
        stops.append(stopper.update(loss, net))
        if stops[-1]:
            break
    assert stops == [False, False, False, False, True]
    assert stopper.best_loss == 0.8 and stopper.best_epoch == 1 and stopper.stopped_epoch == 4
    assert np.all(net.theta == 1.0)               # epoch 1's parameters are back
    assert np.all(net.layers[0].W == 1.0)         # through the layer views too
    assert stopper.update(0.1, net)               # stays stopped


def test_early_stopping_min_delta_and_no_restore():
    net = nb.Network([2, 3, 1], seed=0)
    stopper = EarlyStopping(patience=2, min_delta=0.05, restore_best=False)
    results = []
    for epoch, loss in enumerate([1.0, 0.97, 0.96, 0.5]):
        net.theta[...] = epoch
        results.append(stopper.update(loss, net))
        if results[-1]:
            break
    # 0.97 and 0.96 improve by less than min_delta: stop at epoch 2
    assert results == [False, False, True] and stopper.stopped_epoch == 2
    assert stopper.best_epoch == 0
    assert np.all(net.theta == 2.0)               # not restored
    stopper.restore(net)
    assert np.all(net.theta == 0.0)


def test_early_stopping_nan_is_not_an_improvement():
    stopper = EarlyStopping(patience=2)
    assert not stopper.update(1.0)
    assert not stopper.update(float("nan"))
    assert stopper.update(float("nan"))
    assert stopper.best_loss == 1.0


def test_early_stopping_errors_and_reset():
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="min_delta"):
        EarlyStopping(min_delta=-1.0)
    stopper = EarlyStopping()
    with pytest.raises(RuntimeError, match="no parameters saved"):
        stopper.restore(nb.Network([2, 1]))
    stopper.update(1.0)
    stopper.reset()
    assert stopper.best_loss == math.inf and stopper.best_epoch is None and stopper.epoch == 0


# --- GPU: the same masks and results on CuPy --------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("mode", ["inverted", "classic"])
def test_gpu_dropout_masks_and_gradients_match_cpu(cp, mode, rng):
    X, Y = rng.normal(size=(4, 9)), rng.normal(size=(2, 9))
    cpu = nb.Network([4, 8, 6, 2], hidden="tanh", seed=5, dropout=0.4, dropout_mode=mode)
    gpu = nb.Network([4, 8, 6, 2], hidden="tanh", seed=5, dropout=0.4, dropout_mode=mode,
                     device="gpu")
    J_cpu = cpu.loss_and_grad(X, Y, training=True)
    J_gpu = gpu.loss_and_grad(X, Y, training=True)
    for a, b in zip(cpu.layers[:-1], gpu.layers[:-1]):
        assert isinstance(b.mask, cp.ndarray)
        np.testing.assert_array_equal(a.mask, cp.asnumpy(b.mask))
    assert J_gpu == pytest.approx(J_cpu, rel=1e-12)
    np.testing.assert_allclose(cp.asnumpy(gpu.grad), cpu.grad, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(cp.asnumpy(gpu.forward(X)), cpu.forward(X), rtol=1e-12)
