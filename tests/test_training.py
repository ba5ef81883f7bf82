"""Tests of nnbook.training: the fit loop, its checks, history, diagnostics and early stopping."""
import re

import numpy as np
import pytest

from nnbook import data, schedules
from nnbook.network import Network
from nnbook.optimizers import SGD, Adam
from nnbook.regularization import EarlyStopping
from nnbook.training import History, TrainingDiverged, accuracy, evaluate, fit


def _linear_problem(m=64, seed=0):
    """A convex least-squares problem: Y = w.x + b + noise, fitted by a linear unit."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, m))
    Y = np.array([[1.5, -2.0, 0.5]]) @ X + 0.3 + 0.1 * rng.normal(size=(1, m))
    return X, Y


# --- it learns --------------------------------------------------------------------------
@pytest.mark.parametrize("hidden", ["tanh", "sigmoid"])
def test_learns_xor(hidden):
    X, y = data.xor()
    net = Network([2, 4, 1], hidden=hidden, loss="bce", seed=0)
    h = fit(net, X, y, epochs=1000, optimizer="adam", lr=0.05)
    assert h["loss"][-1] < 0.05 and h["accuracy"][-1] == 1.0
    np.testing.assert_array_equal((net.forward(X) >= 0.5).astype(int)[0], y)
    assert evaluate(net, X, y)["loss"] < 0.05


def test_softmax_network_on_blobs_with_integer_labels():
    X, y = data.blobs(300, centers=3, std=0.8, seed=1)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, 0.2, seed=0)
    net = Network([2, 16, 3], hidden="relu", loss="cce", seed=0)
    h = fit(net, X_tr, y_tr, epochs=30, optimizer="adam", lr=0.01, batch_size=32,
            validation_data=(X_te, y_te))
    assert h["val_accuracy"][-1] > 0.95 and h["loss"][-1] < h["loss"][0]
    # integer labels are one-hot encoded: the same run with one-hot targets is identical
    net2 = Network([2, 16, 3], hidden="relu", loss="cce", seed=0)
    h2 = fit(net2, X_tr, data.one_hot(y_tr), epochs=30, optimizer="adam", lr=0.01,
             batch_size=32, validation_data=(X_te, data.one_hot(y_te)))
    np.testing.assert_array_equal(net.theta, net2.theta)
    assert h.history == h2.history


# --- the loop is the algorithm it claims to be --------------------------------------------
def test_full_batch_sgd_is_gradient_descent_and_decreases_a_convex_loss():
    X, Y = _linear_problem()
    net = Network([3, 1], output="linear", loss="mse", seed=0)
    ref = Network([3, 1], output="linear", loss="mse", seed=0)
    lr = 0.05
    h = fit(net, X, Y, epochs=40, optimizer="sgd", lr=lr)
    losses = []
    for _ in range(40):  # the textbook loop, by hand
        losses.append(ref.loss_and_grad(X, Y))
        ref.theta -= lr * ref.grad
    np.testing.assert_allclose(net.theta, ref.theta, rtol=1e-13)
    np.testing.assert_allclose(h["loss"], losses, rtol=1e-13)
    assert (np.diff(h["loss"]) < 0).all()
    assert h.epochs == list(range(1, 41)) and "accuracy" not in h  # regression: no accuracy


def test_minibatches_cover_every_sample_once_per_epoch():
    seen = []

    class Recorder(Network):
        def forward(self, X, training=False):
            if training:
                seen.append(np.asarray(X[0]).copy())
            return super().forward(X, training)

    m = 23
    X = np.arange(m, dtype=float).reshape(1, m)  # the feature is the sample's index
    net = Recorder([1, 1], output="linear", loss="mse")
    fit(net, X, np.zeros((1, m)), epochs=3, lr=1e-3, batch_size=5)
    assert [b.size for b in seen] == [5, 5, 5, 5, 3] * 3
    epochs = [np.concatenate(seen[5 * e:5 * e + 5]) for e in range(3)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), np.arange(m))
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled every epoch
    seen.clear()
    fit(net, X, np.zeros((1, m)), epochs=2, lr=1e-3, batch_size=1)
    assert len(seen) == 2 * m


def test_l2_penalty_and_clipping_follow_their_formulas():
    X, Y = _linear_problem(seed=1)
    l2, lr = 0.1, 0.05
    net = Network([3, 1], output="linear", loss="mse", seed=0)
    ref = Network([3, 1], output="linear", loss="mse", seed=0)
    h = fit(net, X, Y, epochs=5, lr=lr, l2=l2)
    for _ in range(5):
        ref.loss_and_grad(X, Y)
        ref.layers[0].dW += 2 * l2 * ref.layers[0].W  # dJ/dW of l2 ||W||^2; biases not penalized
        ref.theta -= lr * ref.grad
    np.testing.assert_allclose(net.theta, ref.theta, rtol=1e-13)
    assert "penalty" in h and h["penalty"][0] == pytest.approx(l2 * (Network([3, 1]).layers[0].W ** 2).sum())
    # clipping: one full-batch SGD step moves theta by exactly lr * clip_norm
    net = Network([3, 1], output="linear", loss="mse", seed=0)
    theta0 = net.theta.copy()
    fit(net, X, Y, epochs=1, lr=lr, clip_norm=1e-3)
    assert np.linalg.norm(net.theta - theta0) == pytest.approx(lr * 1e-3, rel=1e-12)


def test_schedule_sets_the_learning_rate_each_epoch():
    X, Y = _linear_problem()
    sched = schedules.step_decay(0.1, drop=0.5, every=2)
    net = Network([3, 1], output="linear", loss="mse")
    h = fit(net, X, Y, epochs=5, schedule=sched)
    np.testing.assert_allclose(h["lr"], [0.1, 0.1, 0.05, 0.05, 0.025])
    opt = Adam()
    h = fit(net, X, Y, epochs=2, optimizer=opt, lr=0.003)
    assert opt.lr == 0.003 and opt.t == 2 and list(h["lr"]) == [0.003, 0.003]


# --- checks before training -----------------------------------------------------------------
def test_nan_in_data_raises_before_training():
    X, Y = _linear_problem()
    X[1, 7] = np.nan
    net = Network([3, 1], output="linear", loss="mse")
    theta0 = net.theta.copy()
    with pytest.raises(ValueError, match="X contains NaN or infinity, first in column 7"):
        fit(net, X, Y, epochs=3)
    np.testing.assert_array_equal(net.theta, theta0)
    X[1, 7] = 0.0
    Y[0, 4] = np.inf
    with pytest.raises(ValueError, match="Y contains NaN or infinity, first in column 4"):
        fit(net, X, Y)
    X_val = X.copy()
    X_val[0, 2] = np.nan
    Y[0, 4] = 0.0
    with pytest.raises(ValueError, match="X_val contains NaN"):
        fit(net, X, Y, validation_data=(X_val, Y))


def test_shape_and_argument_errors():
    X, Y = _linear_problem(m=10)
    net = Network([3, 1], output="linear", loss="mse")
    with pytest.raises(ValueError, match=r"X has 10 samples \(columns\) but Y has 9"):
        fit(net, X, Y[:, :9])
    with pytest.raises(ValueError, match="Y has 2 rows but the output layer has 1 units"):
        fit(net, X, np.vstack([Y, Y]))
    with pytest.raises(ValueError, match=r"X must have shape \(3, m\).*samples in columns"):
        fit(net, X.T, Y)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1, got 0"):
        fit(net, X, Y, epochs=0)
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got -0.1"):
        fit(net, X, Y, lr=-0.1)
    with pytest.raises(ValueError, match="batch_size"):
        fit(net, X, Y, batch_size=0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        fit(net, X, Y, optimizer="sgdd")
    clf = Network([3, 4, 3], loss="cce")
    with pytest.raises(ValueError, match="label 3 is out of range for n_classes=3"):
        fit(clf, X, np.arange(10) % 4)
    with pytest.raises(ValueError, match="sigmoid output must hold values in"):
        fit(Network([3, 1], loss="bce"), X, Y * 10)


# --- divergence -------------------------------------------------------------------------
def test_huge_learning_rate_raises_training_diverged():
    X, Y = _linear_problem()
    net = Network([3, 8, 1], hidden="tanh", output="linear", loss="mse", seed=0)
    with pytest.raises(TrainingDiverged) as info:
        fit(net, X, Y, epochs=50, lr=1e6, batch_size=16, divergence_factor=None)  # inf/NaN check
    msg = str(info.value)
    assert re.search(r"in epoch \d+, step [1-4] of 4: the cost is (inf|nan)", msg)
    assert "learning rate 1e+06" in msg
    assert "lower the learning rate" in msg.lower() and "clip" in msg and "NaN" in msg
    assert isinstance(info.value, RuntimeError)
    assert np.isfinite(net.theta).all()
    assert np.isfinite(net.loss_and_grad(X, Y))  # left at parameters with a finite cost


def test_non_finite_parameters_after_the_last_step_are_caught():
    X, Y = _linear_problem()
    net = Network([3, 1], output="linear", loss="mse", seed=0)
    theta0 = net.theta.copy()
    with pytest.raises(TrainingDiverged, match="epoch 1, its last step: the parameters became NaN"):
        fit(net, X, 1e3 * Y, epochs=1, lr=1e308)  # one full-batch step overflows theta
    np.testing.assert_array_equal(net.theta, theta0)


# --- determinism, history ---------------------------------------------------------------
def test_same_seed_gives_bit_identical_runs():
    X, y = data.moons(120, noise=0.2, seed=0)

    def run(seed):
        net = Network([2, 8, 1], hidden="relu", loss="bce", seed=0, dropout=0.2)
        h = fit(net, X, y, epochs=5, optimizer="momentum", lr=0.05, batch_size=16,
                seed=seed, validation_data=(X, y), diagnostics=True)
        return net.theta.copy(), h.history

    (t1, h1), (t2, h2), (t3, _) = run(3), run(3), run(4)
    np.testing.assert_array_equal(t1, t2)
    assert h1 == h2
    assert not np.array_equal(t1, t3)


def test_validation_history_lengths_and_repr():
    X, y = data.moons(100, seed=1)
    net = Network([2, 6, 1], hidden="tanh", loss="bce")
    h = fit(net, X, y, epochs=7, lr=0.5, batch_size=20, validation_data=(X[:, :30], y[:30]))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert len(h.history[key]) == 7
    assert len(h) == 7 and h.epochs[-1] == 7
    assert h["val_loss"][-1] == pytest.approx(evaluate(net, X[:, :30], y[:30])["loss"])
    text = repr(h)
    assert text.startswith("History(7 epochs") and "val_loss" in text
    assert repr(History()) == "History(0 epochs)"
    with pytest.raises(KeyError, match="was not recorded"):
        h["penalty"]


# --- early stopping -----------------------------------------------------------------------
def test_early_stopping_stops_and_restores_best():
    X, Y = _linear_problem()
    # validation targets of the opposite sign: the better the fit, the worse the validation
    val = (X, -Y)
    net = Network([3, 1], output="linear", loss="mse", seed=0)
    h = fit(net, X, Y, epochs=100, lr=0.05, validation_data=val,
            early_stopping=EarlyStopping(patience=3))
    best = int(np.argmin(h["val_loss"])) + 1
    assert h.best_epoch == best and h.stopped_epoch == best + 3 and len(h) == best + 3
    again = Network([3, 1], output="linear", loss="mse", seed=0)
    fit(again, X, Y, epochs=best, lr=0.05)
    np.testing.assert_array_equal(net.theta, again.theta)  # the parameters of the best epoch


def test_early_stopping_int_and_restore_at_end_without_stop():
    X, Y = _linear_problem()
    net = Network([3, 1], output="linear", loss="mse", seed=0)
    h = fit(net, X, Y, epochs=6, lr=0.05, early_stopping=2)  # monitors the training loss
    assert h.stopped_epoch is None and h.best_epoch == 6  # still improving: best is last
    stopper = EarlyStopping(patience=1, restore_best=False)
    net = Network([3, 1], output="linear", loss="mse", seed=0)
    h = fit(net, X, Y, epochs=50, lr=0.05, validation_data=(X, -Y), early_stopping=stopper)
    h2 = fit(Network([3, 1], output="linear", loss="mse", seed=0), X, Y, epochs=50, lr=0.05,
             validation_data=(X, -Y), early_stopping=stopper)  # reused stopper is reset
    assert h.stopped_epoch == h2.stopped_epoch == h.best_epoch + 1
    ref = Network([3, 1], output="linear", loss="mse", seed=0)
    fit(ref, X, Y, epochs=h.stopped_epoch, lr=0.05)
    np.testing.assert_array_equal(net.theta, ref.theta)  # not restored


# --- diagnostics --------------------------------------------------------------------------
def test_diagnostics_keys_shapes_and_values():
    X, y = data.circles(80, seed=0)
    net = Network([2, 8, 8, 1], hidden="relu", loss="bce", seed=0)
    W0 = [layer.W.copy() for layer in net.layers]
    lr = 0.1
    h = fit(net, X, y, epochs=1, lr=lr, diagnostics=True)
    for l in (1, 2, 3):
        for name in ("grad_norm_W", "update_ratio_W", "act_mean_A", "act_std_A"):
            assert len(h.history[f"{name}{l}"]) == 1
        # full-batch SGD: ||dW|| = ||W1 - W0|| / lr, and the ratio is that over ||W0||
        step = np.linalg.norm(net.layers[l - 1].W - W0[l - 1])
        assert h.history[f"grad_norm_W{l}"][0] == pytest.approx(step / lr, rel=1e-10)
        assert h.history[f"update_ratio_W{l}"][0] == pytest.approx(
            step / np.linalg.norm(W0[l - 1]), rel=1e-10)
    assert {"dead_fraction_A1", "dead_fraction_A2"} <= set(h.history)
    assert "dead_fraction_A3" not in h.history  # the sigmoid output cannot die
    assert h.per_layer("grad_norm").shape == (1, 3)
    dead = h.per_layer("dead_fraction")
    assert dead.shape == (1, 2) and ((0 <= dead) & (dead <= 1)).all()
    A3 = net.forward(X)
    assert h.history["act_mean_A3"][0] == pytest.approx(A3.mean())


def test_dead_relu_units_are_counted():
    X, y = data.circles(60, seed=1)
    net = Network([2, 6, 1], hidden="relu", loss="bce", seed=0)
    net.layers[0].b[:3] = -100.0  # three units that never fire: dead for good
    h = fit(net, X, y, epochs=3, lr=0.1, diagnostics=True)
    np.testing.assert_array_equal(h["dead_fraction_A1"], 0.5)


# --- evaluate, accuracy, progress, verbose ------------------------------------------------
def test_accuracy_forms():
    A = np.array([[0.9, 0.2, 0.6, 0.4]])
    assert accuracy(A, np.array([[1, 0, 0, 0]])) == 0.75
    assert accuracy(A, np.array([1, 0, 0, 0])) == 0.75
    P = np.array([[0.7, 0.1, 0.3], [0.2, 0.8, 0.3], [0.1, 0.1, 0.4]])
    assert accuracy(P, np.array([0, 1, 1])) == pytest.approx(2 / 3)
    assert accuracy(P, data.one_hot([0, 1, 2])) == 1.0
    X, y = data.xor()
    net = Network([2, 4, 1], hidden="tanh", loss="bce")
    assert accuracy(net, X, y) == evaluate(net, X, y)["accuracy"]
    with pytest.raises(ValueError, match="shape"):
        accuracy(P, np.zeros((2, 3)))


def test_evaluate_in_batches_matches_full():
    X, y = data.spirals(90, seed=0)
    net = Network([2, 10, 3], hidden="relu", loss="cce")
    full, batched = evaluate(net, X, y), evaluate(net, X, y, batch_size=16)
    assert batched["loss"] == pytest.approx(full["loss"], rel=1e-12)
    assert batched["accuracy"] == full["accuracy"]
    assert set(evaluate(Network([2, 1]), X, y.reshape(1, -1) * 1.0)) == {"loss"}


def test_progress_and_verbose(capsys):
    X, Y = _linear_problem(m=8)
    net = Network([3, 1], output="linear", loss="mse")
    fit(net, X, Y, epochs=2, progress=True)  # stderr is not a terminal under pytest: no bar
    assert "epoch" not in capsys.readouterr().err
    fit(net, X, Y, epochs=2, progress="force")
    assert "epoch" in capsys.readouterr().err
    fit(net, X, Y, epochs=4, verbose=2, optimizer=SGD(0.01))
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[0].startswith("epoch 2/4: loss") and "lr 0.01" in out[0]


@pytest.mark.gpu
def test_fit_on_gpu_matches_cpu():
    X, y = data.moons(64, seed=0)
    cpu = Network([2, 8, 1], hidden="tanh", loss="bce", seed=0)
    gpu = Network([2, 8, 1], hidden="tanh", loss="bce", seed=0, device="gpu")
    h_cpu = fit(cpu, X, y, epochs=5, optimizer="adam", lr=0.01, batch_size=16,
                validation_data=(X, y), diagnostics=True)
    h_gpu = fit(gpu, X, y, epochs=5, optimizer="adam", lr=0.01, batch_size=16,
                validation_data=(X, y), diagnostics=True)
    np.testing.assert_allclose(gpu.theta.get(), cpu.theta, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(h_gpu["loss"], h_cpu["loss"], rtol=1e-9)
    assert set(h_gpu.history) == set(h_cpu.history)

