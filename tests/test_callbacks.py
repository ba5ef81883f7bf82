"""Tests of fit's callbacks, the file loggers, the new diagnostics and the lr range test."""
import csv
import json
import math
import re

import numpy as np
import pytest

import nnbook as nb
from nnbook.callbacks import CSVLogger, JSONLinesLogger, StopWhen, call_callbacks, read_jsonl
from nnbook.data import moons
from nnbook.diagnostics import lr_range_test


def _net(hidden="relu", seed=0, sizes=(2, 8, 1)):
    return nb.Network(list(sizes), hidden=hidden, output="sigmoid", loss="bce", seed=seed)


@pytest.fixture
def data():
    return moons(m=100, noise=0.1, seed=0)


def test_function_callback_sees_every_epoch_and_the_history_values(data):
    X, y = data
    seen = []
    h = nb.fit(_net(), X, y, epochs=5, lr=0.5, callbacks=[lambda e, logs: seen.append((e, logs))])
    assert [e for e, _ in seen] == [1, 2, 3, 4, 5]
    assert [logs["loss"] for _, logs in seen] == list(h["loss"])
    assert set(seen[0][1]) == set(h.history)


def test_a_single_callable_is_accepted(data):
    X, y = data
    seen = []
    nb.fit(_net(), X, y, epochs=3, callbacks=lambda e, logs: seen.append(e))
    assert seen == [1, 2, 3]


def test_object_callback_gets_the_network_and_can_stop(data):
    X, y = data

    class StopAt3:
        def on_epoch_end(self, epoch, logs, net):
            self.net = net
            return epoch == 3

    cb, net = StopAt3(), _net()
    h = nb.fit(net, X, y, epochs=10, callbacks=[cb])
    assert cb.net is net
    assert len(h) == 3 and h.stopped_epoch == 3


def test_logs_are_copies_so_a_callback_cannot_change_the_history(data):
    X, y = data

    def vandal(epoch, logs):
        logs["loss"] = -1.0
        logs["bogus"] = 1.0

    h = nb.fit(_net(), X, y, epochs=2, callbacks=[vandal])
    assert (h["loss"] > 0).all() and "bogus" not in h


def test_every_callback_is_called_even_after_one_asks_to_stop(data):
    X, y = data
    later = []
    h = nb.fit(_net(), X, y, epochs=10, callbacks=[lambda e, l: True, lambda e, l: later.append(e)])
    assert later == [1] and h.stopped_epoch == 1


def test_only_true_stops():
    assert call_callbacks([lambda e, l: 1, lambda e, l: "yes", lambda e, l: None], 1, {}, None) is False
    assert call_callbacks([lambda e, l: None, lambda e, l: True], 1, {}, None) is True


@pytest.mark.parametrize("bad", [3, [print, 3], "log.csv"])
def test_bad_callbacks_are_rejected_with_a_clear_error(data, bad):
    X, y = data
    with pytest.raises(TypeError, match="callbacks"):
        nb.fit(_net(), X, y, epochs=1, callbacks=bad)


def test_jsonl_logger_round_trips_the_history(data, tmp_path):
    X, y = data
    path = tmp_path / "run.jsonl"
    h = nb.fit(_net(), X, y, epochs=4, validation_data=(X, y), diagnostics=True,
               callbacks=[JSONLinesLogger(path)])
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["epoch"] == 1
    back = read_jsonl(path)
    assert back.epochs == [1, 2, 3, 4]
    assert set(back.history) == set(h.history)
    for key in h.history:
        np.testing.assert_array_equal(back[key], h[key])


def test_jsonl_logger_empties_the_file_unless_append_and_separates_runs(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"epoch": 99, "loss": 1.0}\n')
    JSONLinesLogger(path)
    assert path.read_text() == ""
    a, b = JSONLinesLogger(path, run="a"), JSONLinesLogger(path, append=True, run="b")
    a(1, {"loss": np.float64(2.0)})
    b(1, {"loss": 3.0})
    a(2, {"loss": float("nan")})
    assert read_jsonl(path, run="a").history["loss"][0] == 2.0
    assert math.isnan(read_jsonl(path, run="a").history["loss"][1])
    assert read_jsonl(path, run="b").history == {"loss": [3.0]}


def test_read_jsonl_names_the_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"epoch": 1, "loss": 1.0}\n\nnot json\n')
    with pytest.raises(ValueError, match="line 3"):
        read_jsonl(path)
    path.write_text('[1, 2]\n')
    with pytest.raises(ValueError, match="line 1.*epoch"):
        read_jsonl(path)


def test_csv_logger_writes_a_header_and_one_row_per_epoch(data, tmp_path):
    X, y = data
    path = tmp_path / "run.csv"
    h = nb.fit(_net(), X, y, epochs=3, callbacks=[CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert [float(r["loss"]) for r in rows] == list(h["loss"])  # repr: exact round trip
    assert list(rows[0]) == ["epoch"] + list(h.history)


def test_csv_logger_refuses_a_new_key(tmp_path):
    log = CSVLogger(tmp_path / "x.csv")
    log(1, {"loss": 1.0})
    with pytest.raises(ValueError, match="lacks"):
        log(2, {"loss": 1.0, "val_loss": 2.0})


def test_stop_when(data):
    X, y = data
    stop = StopWhen(lambda logs: logs["accuracy"] >= 0.8)
    h = nb.fit(_net(), X, y, epochs=200, optimizer="adam", lr=0.05, callbacks=[stop])
    assert h["accuracy"][-1] >= 0.8 and (h["accuracy"][:-1] < 0.8).all()
    assert stop.epoch == h.stopped_epoch == len(h) < 200
    above = StopWhen.above("loss", 1.0)
    assert above(1, {"loss": 0.5}) is False
    assert above(2, {"loss": float("nan")}) is True and above.epoch == 2
    with pytest.raises(TypeError, match="condition"):
        StopWhen(3)


def test_callbacks_see_epochs_before_divergence(data):
    X, y = data
    seen = []
    net = nb.Network([2, 8, 1], hidden="tanh", output="linear", loss="mse", seed=0)
    with pytest.raises(nb.TrainingDiverged, match=r"epoch (\d+)") as info:
        nb.fit(net, X, y.astype(float), epochs=60, schedule=lambda t: 0.01 * 1.5 ** t,
               callbacks=[lambda e, logs: seen.append(e)])
    diverged_in = int(re.search(r"epoch (\d+)", str(info.value)).group(1))
    assert diverged_in > 1 and seen == list(range(1, diverged_in))  # every finished epoch


# --- the diagnostics fit records ------------------------------------------------------------
def test_saturation_fraction_matches_a_direct_count(data):
    X, y = data
    for hidden in ("sigmoid", "tanh"):
        net = nb.Network([2, 16, 1], hidden=hidden, output="sigmoid", loss="bce", seed=1)
        net.layers[0].W *= 20  # push most units into saturation
        h = nb.fit(net, X, y, epochs=1, lr=1e-6, diagnostics=True)
        net.forward(X)  # the probe batch is all 100 columns here
        A = net.layers[0].A
        g_prime = A * (1 - A) / 0.25 if hidden == "sigmoid" else 1 - A ** 2
        expected = (g_prime < 0.0396).mean()  # within 1 % of the range from an end
        assert abs(h["saturated_fraction_A1"][0] - expected) < 1e-12
        assert 0.1 < expected < 1.0  # a case where the count is not trivially 0 or 1
        assert "saturated_fraction_A2" in h and "dead_fraction_A1" not in h


def test_sparsity_dead_fraction_and_weight_stats(data):
    X, y = data
    net = _net(seed=3)
    net.layers[0].b[:4] = -100.0  # four of eight units dead for every input
    h = nb.fit(net, X, y, epochs=1, lr=1e-6, diagnostics=True)
    net.forward(X)
    A = net.layers[0].A
    assert h["dead_fraction_A1"][0] == 0.5
    assert h["sparsity_A1"][0] == (A == 0).mean() >= 0.5
    for l, layer in enumerate(net.layers, start=1):
        assert np.isclose(h[f"weight_norm_W{l}"][0], np.linalg.norm(layer.W), rtol=1e-12)
        assert np.isclose(h[f"weight_std_W{l}"][0], layer.W.std(), rtol=1e-12)
    assert h.per_layer("weight_norm").shape == (1, 2)


# --- the learning-rate range test -------------------------------------------------------------
def test_lr_range_test_restores_the_network_and_grows_geometrically(data):
    X, y = data
    net = _net()
    theta = net.theta.copy()
    r = lr_range_test(net, X, y, lr_min=1e-4, lr_max=100.0, steps=60, batch_size=20)
    np.testing.assert_array_equal(net.theta, theta)
    lrs = r["lr"]
    assert lrs[0] == 1e-4 and len(lrs) <= 60
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, (100.0 / 1e-4) ** (1 / 59), rtol=1e-12)
    assert r["best_lr"] == lrs[np.argmin(r["loss"])]
    assert 1e-4 < r["steepest_lr"] <= r["lr"][-1]


def test_lr_range_test_stops_once_the_loss_blows_up(data):
    X, y = data
    r = lr_range_test(_net(), X, y, lr_min=1e-3, lr_max=1e4, steps=200, batch_size=20,
                      stop_factor=4.0)
    assert len(r["lr"]) < 200
    last, best = r["loss"][-1], r["loss"][:-1].min()
    assert not np.isfinite(last) or last > 4.0 * best
    assert (r["loss"][:-1] <= 4.0 * np.minimum.accumulate(r["loss"][:-1])).all()


def test_lr_range_test_first_steps_equal_sgd_by_hand(data):
    X, y = data
    net_a, net_b = _net(), _net()
    r = lr_range_test(net_a, X, y, lr_min=0.01, lr_max=0.1, steps=3, batch_size=None)
    for lr, J in zip(r["lr"], r["loss"]):
        assert np.isclose(net_b.loss_and_grad(X, y.reshape(1, -1)), J, rtol=1e-12)
        net_b.theta -= lr * net_b.grad
    np.testing.assert_allclose(r["lr"], [0.01, np.sqrt(0.01 * 0.1), 0.1],
                               rtol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"lr_min": 0.0}, "lr_min"), ({"lr_max": float("inf")}, "lr_max"),
    ({"lr_min": 1.0, "lr_max": 0.1}, "smaller"), ({"steps": 1}, "steps"),
    ({"stop_factor": 1.0}, "stop_factor")])
def test_lr_range_test_bad_arguments(data, kwargs, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        lr_range_test(_net(), X, y, **kwargs)
