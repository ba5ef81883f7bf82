"""Hostile and wrong inputs (issue 8): every item of the issue has a test that would have caught it.

Each test names its item: wrong results (1-6), divergence (7), files (8-10), silently
accepted nonsense (11-13).
"""
from __future__ import annotations

import io as _stdio
import json
import math
import pickle
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import nnbook as nb
from nnbook import activations as act
from nnbook import io
from nnbook import losses as L
from nnbook.activations import Activation
from nnbook.gradcheck import check_gradient, check_network_gradients
from nnbook.optimizers import AdaGrad, Adam, RMSProp, clip_by_global_norm
from nnbook.training import History, TrainingDiverged, fit

TOL = 1e-7


# --- 1. softmax + CCE with targets whose columns do not sum to 1 ------------------------------
def _multi_hot(rng, K=4, m=6):
    Y = (rng.uniform(size=(K, m)) < 0.5).astype(float)
    Y[0, Y.sum(axis=0) < 2] = 1.0
    Y[1, Y.sum(axis=0) < 2] = 1.0  # every column has at least two 1s: sums 2, 3 or 4
    return Y


@pytest.mark.parametrize("targets", ["multi_hot", "unnormalised_soft"])
def test_softmax_cce_gradient_is_exact_for_targets_not_summing_to_one(targets, rng):
    X = rng.normal(size=(3, 6))
    Y = _multi_hot(rng) if targets == "multi_hot" else rng.uniform(0.1, 0.6, size=(4, 6))
    assert np.abs(Y.sum(axis=0) - 1).min() > 0.1  # really not normalised
    net = nb.Network([3, 5, 4], hidden="tanh", loss="cce", seed=3)
    errors = check_network_gradients(net, X, Y)
    assert max(errors.values()) < TOL, errors
    # and the output error is the general formula, which A - Y is not here
    net.forward(X)
    dZ = net.output_delta(Y)
    np.testing.assert_allclose(dZ, L.softmax_cross_entropy_grad(net.layers[-1].Z, Y), rtol=1e-12,
                               atol=1e-15)
    assert np.abs(dZ - (net.layers[-1].A - Y) / 6).max() > 1e-3


def test_softmax_cce_output_error_is_still_a_minus_y_for_one_hot_targets(rng):
    X = rng.normal(size=(3, 7))
    Y = nb.one_hot(rng.integers(0, 4, size=7), n_classes=4)
    net = nb.Network([3, 5, 4], hidden="tanh", loss="cce", seed=1)
    net.forward(X)
    np.testing.assert_allclose(net.output_delta(Y), (net.layers[-1].A - Y) / 7, rtol=0, atol=1e-16)


def test_sigmoid_bce_shortcut_is_exact_for_soft_targets(rng):
    X = rng.normal(size=(3, 6))
    Y = rng.uniform(0.05, 0.95, size=(2, 6))  # soft targets in [0, 1]
    net = nb.Network([3, 4, 2], hidden="tanh", loss="bce", seed=2)
    assert max(check_network_gradients(net, X, Y).values()) < TOL


def test_fit_trains_on_multi_hot_targets_with_the_exact_gradient(rng):
    X = rng.normal(size=(3, 40))
    Y = _multi_hot(rng, m=40)
    net = nb.Network([3, 8, 4], hidden="tanh", loss="cce", seed=0)
    h = fit(net, X, Y, epochs=30, optimizer="adam", lr=0.02)
    assert h["loss"][-1] < h["loss"][0]


def test_network_docstrings_say_when_a_minus_y_is_exact():
    from nnbook import network
    for doc in (network.__doc__, nb.Network.output_delta.__doc__,
                L.softmax_cross_entropy_grad.__doc__):
        assert "sums to 1" in doc or "sum to 1" in doc or "sums to 1" in doc.replace("\n", " ")


# --- 2. output activation that cannot produce what the loss expects ---------------------------
@pytest.mark.parametrize("output, loss", [
    ("sigmoid", "cce"), ("relu", "cce"), ("linear", "cce"), ("tanh", "cce"),
    ("relu", "bce"), ("linear", "bce"), ("tanh", "bce"), ("leaky_relu", "bce"),
])
def test_output_that_cannot_produce_the_loss_input_is_refused(output, loss):
    with pytest.raises(ValueError, match=rf"loss '\w+' needs .* {output!r} output does not produce"):
        nb.Network([2, 3, 3], output=output, loss=loss)


@pytest.mark.parametrize("output, loss", [
    ("sigmoid", "bce"), ("piecewise_linear", "bce"), ("softmax", "cce"), ("sigmoid", "mse"),
    ("relu", "mse"), ("linear", "bce_logits"), ("linear", "softmax_cross_entropy"),
])
def test_output_loss_pairs_that_fit_are_accepted(output, loss):
    nb.Network([2, 3, 3], output=output, loss=loss)


# --- 3. losses check their predictions as well as their targets -------------------------------
@pytest.mark.parametrize("f", [L.binary_cross_entropy, L.binary_cross_entropy_grad])
def test_bce_refuses_predictions_outside_0_1(f):
    Y = np.array([[1.0, 0.0]])
    for A in (np.array([[1.5, -0.5]]), np.array([[0.5, np.nan]])):
        with pytest.raises(ValueError, match=r"predictions must be probabilities in \[0, 1\]"):
            f(A, Y)


@pytest.mark.parametrize("f", [L.binary_cross_entropy, L.binary_cross_entropy_with_logits,
                               L.categorical_cross_entropy, L.softmax_cross_entropy,
                               L.binary_cross_entropy_grad, L.softmax_cross_entropy_grad])
def test_cross_entropies_refuse_labels_outside_0_1(f):
    A = np.array([[0.5, 0.5], [0.5, 0.5]])
    for bad in (2.0, -1.0):
        Y = np.array([[1.0, bad], [0.0, 0.0]])
        with pytest.raises(ValueError, match=rf"targets must lie in \[0, 1\].*got {bad!r}"):
            f(A, Y)


@pytest.mark.parametrize("loss", ["bce", "cce"])
def test_network_cost_refuses_labels_outside_0_1(loss, rng):
    net = nb.Network([2, 3, 2], hidden="tanh", loss=loss)
    net.forward(rng.normal(size=(2, 2)))
    for bad in (2.0, -1.0):
        with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
            net.cost(np.array([[1.0, bad], [0.0, 1.0]]))


@pytest.mark.parametrize("f", [L.categorical_cross_entropy, L.categorical_cross_entropy_grad])
def test_cce_refuses_columns_that_are_not_distributions(f):
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"column 1 sums to 1\.5"):
        f(np.array([[0.2, 0.5], [0.3, 0.5], [0.5, 0.5]]), Y)
    with pytest.raises(ValueError, match=r"predictions must be probabilities in \[0, 1\], got 1\.2"):
        f(np.array([[1.2, 0.5], [-0.2, 0.5], [0.0, 0.0]]), Y)
    f(np.array([[0.7, 0.1], [0.2, 0.1], [0.1, 0.8]]), Y)  # a real distribution is fine


@pytest.mark.parametrize("f", [L.softmax_cross_entropy, L.softmax_cross_entropy_grad,
                               L.categorical_cross_entropy])
def test_categorical_losses_refuse_1d_input(f):
    with pytest.raises(ValueError, match=r"shape \(n_L, m\).*reshape it"):
        f(np.array([0.2, 0.3, 0.5]), np.array([0.0, 0.0, 1.0]))


@pytest.mark.parametrize("f", [L.mse, L.mae, L.huber, L.binary_cross_entropy,
                               L.binary_cross_entropy_with_logits, L.categorical_cross_entropy,
                               L.softmax_cross_entropy, L.mse_grad, L.softmax_cross_entropy_grad])
def test_empty_batch_is_a_clear_error(f):
    with pytest.raises(ValueError, match="empty batch"):
        f(np.zeros((3, 0)), np.zeros((3, 0)))


# --- 4. stratified split never returns an empty test set --------------------------------------
@pytest.mark.parametrize("test_size, m_test", [(1, 1), (0.01, 1), (5, 5), (0.2, 20), (99, 99)])
def test_stratified_split_has_the_requested_test_size(test_size, m_test):
    X = np.arange(200.0).reshape(2, 100)
    y = np.r_[np.zeros(70, int), np.ones(30, int)]
    X_tr, X_te, y_tr, y_te = nb.train_test_split(X, y, test_size, stratify=True)
    assert X_te.shape[1] == y_te.size == m_test and X_tr.shape[1] == 100 - m_test
    assert sorted(np.r_[X_tr[0], X_te[0]]) == list(X[0])
    if test_size == 0.2:
        assert list(np.bincount(y_te)) == [14, 6]  # proportions kept


# --- 5. Standardizer on huge or tiny magnitudes -------------------------------------------------
@pytest.mark.parametrize("scale", [1e200, 1e-200, 1e300])
def test_standardizer_survives_extreme_magnitudes(scale, rng):
    X = (rng.normal(size=(3, 50)) + 2.0) * scale
    Z = nb.Standardizer().fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=1), 1, rtol=1e-12)


def test_standardizer_statistics_are_unchanged_for_ordinary_data(rng):
    for X in (rng.normal(size=(4, 30)) * 7 + 3, rng.normal(size=(4, 30)).astype(np.float32)):
        s = nb.Standardizer().fit(X)
        assert s.mean_.dtype == X.dtype
        np.testing.assert_array_equal(s.mean_, X.mean(axis=1, keepdims=True))
        np.testing.assert_array_equal(s.std_, X.std(axis=1, keepdims=True))


# --- 6. shapes in gradient checking -------------------------------------------------------------
def test_check_gradient_refuses_a_flattened_or_reshaped_gradient(rng):
    x = rng.normal(size=(3, 4))
    f = lambda z: float(np.sum(z ** 3))  # noqa: E731
    assert check_gradient(f, lambda z: 3 * z ** 2, x) < TOL
    for wrong in (lambda z: (3 * z ** 2).ravel(), lambda z: (3 * z ** 2).reshape(4, 3),
                  lambda z: (3 * z ** 2).T):
        with pytest.raises(ValueError, match=r"must have the shape of x, \(3, 4\)"):
            check_gradient(f, wrong, x)


def test_softmax_jacobian_refuses_a_batch(rng):
    with pytest.raises(ValueError, match=r"one sample, of shape \(n,\) or \(n, 1\), got shape \(3, 4\)"):
        act.softmax_jacobian(rng.normal(size=(3, 4)))
    z = rng.normal(size=3)
    np.testing.assert_array_equal(act.softmax_jacobian(z), act.softmax_jacobian(z.reshape(3, 1)))
    assert act.softmax_jacobian(z).shape == (3, 3)


# --- 7. divergence by growth, with the history kept ---------------------------------------------
def test_cross_entropy_with_a_huge_learning_rate_is_flagged():
    X, y = nb.data.blobs(200, centers=3, seed=0)
    net = nb.Network([2, 16, 3], hidden="relu", loss="cce", seed=0)
    with pytest.raises(TrainingDiverged, match=r"more than divergence_factor=1e\+06 times its start") \
            as info:
        fit(net, X, y, epochs=20, optimizer="sgd", lr=1e6, batch_size=32)
    exc = info.value
    assert isinstance(exc.history, History) and len(exc.history) == exc.epoch - 1
    assert exc.cost > 1e6
    assert exc.restored.startswith(("the parameters of epoch", "the parameters fit started with"))
    assert exc.restored in str(exc)
    assert np.isfinite(net.theta).all()


def test_growing_regression_loss_is_flagged_long_before_overflow():
    X, y = nb.data.regression_1d(64, seed=0)

    def run(factor):
        net = nb.Network([1, 8, 1], hidden="tanh", output="linear", loss="mse", seed=0)
        with pytest.raises(TrainingDiverged) as info:
            fit(net, X, y, epochs=400, schedule=lambda t: 0.01 * 1.2 ** t,
                divergence_factor=factor)
        return info.value, net

    exc, net = run(1e6)
    late, _ = run(None)
    assert exc.epoch + 10 < late.epoch  # caught long before the inf/NaN check would be
    assert len(exc.history) == exc.epoch - 1 >= 1
    limit = 1e6 * max(exc.history["loss"][0], 1.0)  # full batch: epoch 1's loss is J_1
    assert math.isfinite(exc.cost) and exc.cost > limit
    assert exc.history["loss"].max() <= limit  # every finished epoch passed the rule
    # the network holds the parameters of the last accepted step, whose cost was not huge
    assert np.isfinite(net.loss_and_grad(X, y.reshape(1, -1)))
    assert net.cost(y.reshape(1, -1)) < exc.cost


def test_divergence_factor_is_checked():
    X, y = nb.data.xor()
    net = nb.Network([2, 3, 1], hidden="tanh", loss="bce")
    for bad in (1.0, 0.5):
        with pytest.raises(ValueError, match="divergence_factor must be None or a number > 1"):
            fit(net, X, y, epochs=1, divergence_factor=bad)
    with pytest.raises(TypeError, match="divergence_factor must be a real number"):
        fit(net, X, y, epochs=1, divergence_factor="big")
    fit(net, X, y, epochs=2, divergence_factor=None)


def test_non_finite_parameters_keep_history_too():
    X, Y = np.ones((3, 8)), np.ones((1, 8))
    net = nb.Network([3, 1], output="linear", loss="mse", seed=0)
    with pytest.raises(TrainingDiverged, match="its last step") as info:
        fit(net, X, 1e3 * Y, epochs=1, lr=1e308)
    assert isinstance(info.value.history, History) and len(info.value.history) == 0
    assert "epoch 1, step 1" in info.value.restored


# --- 8. load_network checks the metadata before allocating ---------------------------------------
def _write_npz(path, meta=None, **arrays):
    if meta is not None:
        arrays["nnbook_meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    return path


def _meta(sizes, **extra):
    m = {"format": "nnbook.Network", "version": 1, "sizes": sizes,
         "activations": ["relu"] * (len(sizes) - 2) + ["linear"], "loss": "mse",
         "loss_kwargs": {}, "dtype": "float64", "alpha": 0.01,
         "dropout": [0.0] * (len(sizes) - 2), "dropout_mode": "inverted"}
    m.update(extra)
    return m


def test_crafted_metadata_is_refused_before_anything_is_allocated(tmp_path):
    small = {"W1": np.zeros((4, 2)), "b1": np.zeros((4, 1)), "W2": np.zeros((1, 4)),
             "b2": np.zeros((1, 1))}
    path = _write_npz(tmp_path / "crafted.npz", _meta([2, 30000, 30000, 1]), **small)
    assert path.stat().st_size < 5000
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"crafted\.npz: .*(does not hold|shape)"):
        io.load_network(path)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 2.0 and peak < 20e6  # not 30000 x 30000 doubles (7.2 GB)


def test_array_header_claiming_more_data_than_stored_is_refused(tmp_path):
    path = tmp_path / "liar.npz"
    header = _stdio.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (100000, 100000)})
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("W1.npy", header.getvalue())  # a header, and no data
        for name, arr in (("b1", np.zeros((100000, 1))), ):
            buf = _stdio.BytesIO()
            np.lib.format.write_array(buf, arr)
            z.writestr(name + ".npy", buf.getvalue())
        buf = _stdio.BytesIO()
        np.lib.format.write_array(buf, np.array(json.dumps(_meta([100000, 100000]))))
        z.writestr("nnbook_meta.npy", buf.getvalue())
    with pytest.raises(ValueError, match=r"liar\.npz: .*'W1' claims shape \(100000, 100000\)"):
        io.load_network(path)


@pytest.mark.parametrize("change, message", [
    (dict(sizes="2, 4, 1"), "'sizes' must be a list"),
    (dict(sizes=[2, -4, 1]), "'sizes' must be a list"),
    (dict(sizes=[2, 10**9, 1]), "'sizes' must be a list"),
    (dict(sizes=[2, 4.0, 1]), "'sizes' must be a list"),
    (dict(activations=["relu"]), "'activations' must list 2"),
    (dict(activations=["relu", "evil"]), "'activations' must list 2"),
    (dict(loss="nope"), "'loss' must be one of"),
    (dict(dtype="float16"), "'dtype' must be 'float32' or 'float64'"),
    (dict(alpha=float("nan")), "'alpha' must be a finite number"),
    (dict(dropout=[0.1, 0.2, 0.3]), "'dropout' must be a list of 1"),
    (dict(n_params=7), "'n_params' is 7"),
    (dict(format="other.Model"), "describes 'other.Model'"),
])
def test_malformed_metadata_is_one_clear_error(tmp_path, change, message):
    net = nb.Network([2, 4, 1])
    arrays = {name: nb.to_numpy(p) for name, p, _ in net.named_parameters()}
    meta = _meta([2, 4, 1])
    meta.update(change)
    path = _write_npz(tmp_path / "m.npz", meta, **arrays)
    with pytest.raises(ValueError) as info:
        io.load_network(path)
    assert type(info.value) is ValueError
    assert str(path) in str(info.value) and message in str(info.value)


def test_saved_networks_still_load(tmp_path):
    net = nb.Network([3, 5, 4, 2], hidden="leaky_relu", alpha=0.1, loss="cce", seed=4,
                     dropout=[0.1, 0.2])
    back = io.load_network(io.save_network(net, tmp_path / "ok"))
    np.testing.assert_array_equal(back.theta, net.theta)
    assert io.read_metadata(tmp_path / "ok.npz")["sizes"] == [3, 5, 4, 2]


# --- 9. corrupt or foreign files: one clear error naming the file ---------------------------------
def _assert_clear(exc_info, path, *words):
    exc = exc_info.value
    assert type(exc) is ValueError, type(exc)  # not JSONDecodeError, KeyError, EOFError, ...
    msg = str(exc)
    assert str(path) in msg and "allow_pickle" not in msg, msg
    for w in words:
        assert w in msg, msg


def _corrupt_files(tmp_path):
    good = io.save_network(nb.Network([2, 3, 1]), tmp_path / "good.npz")
    data = good.read_bytes()
    files = {}
    (tmp_path / "text.npz").write_text("hello, not numbers")
    files["text"] = (tmp_path / "text.npz", "not a NumPy .npz archive")
    (tmp_path / "trunc.npz").write_bytes(data[: len(data) // 2])
    files["truncated"] = (tmp_path / "trunc.npz", "npz archive")
    (tmp_path / "empty.npz").write_bytes(b"")
    files["empty"] = (tmp_path / "empty.npz", "npz archive")
    with open(tmp_path / "pick.npz", "wb") as fh:
        pickle.dump({"W1": [1, 2]}, fh)
    files["pickle"] = (tmp_path / "pick.npz", "pickle")
    np.save(tmp_path / "single.npy", np.zeros(3))
    files["npy"] = (tmp_path / "single.npy", "single .npy array")
    files["bad_json"] = (_write_npz(tmp_path / "j.npz", W1=np.zeros((3, 2)),
                                    nnbook_meta=np.array("{not json")), "not valid JSON")
    files["json_list"] = (_write_npz(tmp_path / "l.npz", nnbook_meta=np.array("[1, 2]")),
                          "must be a JSON object")
    files["no_sizes"] = (_write_npz(tmp_path / "k.npz", {"format": "nnbook.Network"}),
                         "'sizes' must be a list")
    files["meta_numbers"] = (_write_npz(tmp_path / "n.npz", nnbook_meta=np.arange(3)),
                             "must be a text")
    return files


CORRUPT = ["text", "truncated", "empty", "pickle", "npy", "bad_json", "json_list", "no_sizes",
           "meta_numbers"]


@pytest.mark.parametrize("kind", CORRUPT)
def test_corrupt_or_foreign_files_give_one_clear_error(tmp_path, kind):
    path, words = _corrupt_files(tmp_path)[kind]
    with pytest.raises(ValueError) as info:
        io.load_network(path)
    _assert_clear(info, path, words)
    if kind not in ("no_sizes",):  # (read_metadata returns that dict: it is valid JSON)
        with pytest.raises(ValueError) as info:
            io.read_metadata(path)
        _assert_clear(info, path, words)
    if kind not in ("no_sizes",):
        with pytest.raises(ValueError) as info:
            io.load_parameters(nb.Network([2, 3, 1]), path)
        _assert_clear(info, path)


def test_missing_file_is_still_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        io.load_network(tmp_path / "nowhere.npz")


# --- 10. custom activations cannot be saved silently ---------------------------------------------
def _swish():
    f = lambda Z: Z * act.sigmoid(Z)  # noqa: E731
    fp = lambda Z: act.sigmoid(Z) * (1 + Z * (1 - act.sigmoid(Z)))  # noqa: E731
    return Activation("swish", f, fp, lambda dA, Z, A: dA * fp(Z))


@pytest.mark.parametrize("activation", [
    _swish(),
    Activation("relu", lambda Z: np.maximum(Z, 0) * 2, None, lambda dA, Z, A: dA * 2 * (Z > 0)),
    act.get_activation("step", at_zero=1.0),
])
def test_save_refuses_activations_a_file_cannot_hold(tmp_path, activation):
    net = nb.Network([2, 3, 1], activations=[activation, "linear"])
    with pytest.raises(ValueError, match=r"save_network: layer 1 has a custom activation .*load_parameters"):
        io.save_network(net, tmp_path / "custom.npz")
    assert not (tmp_path / "custom.npz").exists()


def test_custom_activation_weights_round_trip_through_load_parameters(tmp_path):
    net = nb.Network([2, 3, 1], activations=[_swish(), "linear"], seed=5)
    np.savez(tmp_path / "w.npz", **{n: nb.to_numpy(p) for n, p, _ in net.named_parameters()})
    back = io.load_parameters(nb.Network([2, 3, 1], activations=[_swish(), "linear"], seed=9),
                              tmp_path / "w.npz")
    np.testing.assert_array_equal(back.theta, net.theta)


def test_save_refuses_leaky_layers_with_different_slopes(tmp_path):
    net = nb.Network([2, 3, 3, 1], activations=[act.get_activation("leaky_relu", alpha=0.1),
                                                act.get_activation("leaky_relu", alpha=0.2),
                                                "linear"])
    with pytest.raises(ValueError, match="different slopes"):
        io.save_network(net, tmp_path / "leaky.npz")


# --- 11. silently accepted nonsense ----------------------------------------------------------------
def test_leaky_relu_alpha_must_be_finite():
    z = np.array([-1.0, 2.0])
    for f in (act.leaky_relu, act.leaky_relu_prime):
        with pytest.raises(ValueError, match="alpha must be a finite number, got nan"):
            f(z, alpha=float("nan"))
        with pytest.raises(TypeError, match="alpha must be a real number"):
            f(z, alpha="0.1")
    with pytest.raises(ValueError, match="alpha must be a finite number"):
        act.get_activation("leaky_relu", alpha=float("inf"))
    with pytest.raises(ValueError, match="alpha must be a finite number"):
        nb.Network([2, 3, 1], hidden="leaky_relu", alpha=float("nan"))
    with pytest.raises(ValueError, match="at_zero must be a finite number"):
        act.step(z, at_zero=float("nan"))
    np.testing.assert_array_equal(act.leaky_relu(z, alpha=-1.0), np.abs(z))  # any finite slope


def test_flags_must_be_bools():
    A, Y = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])
    for f in (L.mse, L.mse_grad):
        with pytest.raises(TypeError, match=r"mse: half must be True or False, got 'no'"):
            f(A, Y, half="no")
    assert L.mse(A, Y, half=np.True_) == 1.25
    with pytest.raises(TypeError, match=r"Adam: bias_correction must be True or False, got 'no'"):
        Adam(bias_correction="no")
    with pytest.raises(TypeError, match="bias_correction must be True or False"):
        Adam(bias_correction=0)


@pytest.mark.parametrize("cls", [Adam, RMSProp, AdaGrad])
def test_adaptive_optimizers_refuse_eps_zero(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: eps must be a finite number > 0, got 0\.0"):
        cls(eps=0.0)
    p, g = np.ones(3), np.array([0.0, 1.0, -2.0])  # a zero gradient in one coordinate
    opt = cls(eps=1e-300)
    for _ in range(3):
        opt.step(p, g)
    assert np.isfinite(p).all() and p[0] == 1.0


@pytest.mark.parametrize("make", [
    lambda: nb.Network([2, 3, 1], dtype=np.float16),
    lambda: nb.Dense(2, 3, dtype=np.float16),
    lambda: nb.Network([2, 3, 1], dtype=np.longdouble),
])
def test_float16_and_other_float_types_are_refused(make):
    with pytest.raises(ValueError, match=r"dtype must be a floating type \(float32 or float64\)"):
        make()


def test_load_network_refuses_a_float16_dtype(tmp_path):
    path = io.save_network(nb.Network([2, 3, 1]), tmp_path / "n")
    with pytest.raises(ValueError, match="load_network: dtype must be a floating type"):
        io.load_network(path, dtype=np.float16)


def test_set_parameters_refuses_nan_and_changes_nothing():
    net = nb.Network([2, 2, 1], seed=0)
    theta = net.theta.copy()
    params = [np.ones((2, 2)), np.zeros((2, 1)), np.array([[1.0, np.nan]]), np.zeros((1, 1))]
    with pytest.raises(ValueError, match="set_parameters: W2 contains NaN or infinity"):
        net.set_parameters(params)
    np.testing.assert_array_equal(net.theta, theta)  # W1 was not written either


def test_one_hot_refuses_to_infer_a_huge_number_of_classes():
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"largest label is 100000000.*pass n_classes"):
        nb.one_hot(np.array([0, 1e8]))
    assert time.perf_counter() - t0 < 0.5
    assert nb.one_hot([0, 70000], n_classes=70001).shape == (70001, 2)  # asked for explicitly


def test_negative_seed_is_a_named_error():
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0 or a numpy.random.Generator, got -1"):
        nb.Network([2, 3, 1], seed=-1)
    X, y = nb.data.xor()
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        fit(nb.Network([2, 3, 1], loss="bce"), X, y, epochs=1, seed=-1)


def test_activation_memory_and_count_parameters_check_their_integers():
    net = nb.Network([4, 3, 2])
    for bad in (2.5, 0, -1, True):
        with pytest.raises(ValueError, match="activation_memory: batch_size must be an integer >= 1"):
            net.activation_memory(bad)
    for sizes in ([784, -1, 10], [784, 0, 10], [784, 2.5, 10], [784, True, 10]):
        with pytest.raises(ValueError, match=r"sizes\[1\] must be an integer >= 1"):
            nb.count_parameters(sizes)
    assert nb.count_parameters(np.array([784, 128, 64, 10])) == 109_386


# --- 12. array-likes in the activations ---------------------------------------------------------
FUNCTIONS = [act.linear, act.linear_prime, act.step, act.step_prime, act.sign, act.sign_prime,
             act.piecewise_linear, act.piecewise_linear_prime, act.sigmoid, act.sigmoid_prime,
             act.tanh, act.tanh_prime, act.relu, act.relu_prime, act.leaky_relu,
             act.leaky_relu_prime, act.softmax]


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_activations_accept_lists_like_numpy_functions(f):
    z = [[-1.5, 0.0], [0.25, 3.0]]
    out = f(z)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, f(np.array(z)))


def test_softmax_backward_accepts_lists():
    A = act.softmax(np.array([[1.0, 2.0], [0.5, -1.0]]))
    dA = [[1.0, 0.0], [0.0, 1.0]]
    np.testing.assert_array_equal(act.softmax_backward(dA, A.tolist()), act.softmax_backward(np.array(dA), A))


# --- 13. clip_by_global_norm against PyTorch's definition ----------------------------------------
def test_clip_by_global_norm_documents_its_difference_from_pytorch():
    from nnbook import optimizers
    assert "clip_grad_norm_" in clip_by_global_norm.__doc__ and "10^{-6}" in clip_by_global_norm.__doc__
    assert "clip_by_global_norm" in optimizers.__doc__ and "clip_grad_norm_" in optimizers.__doc__


def test_clip_by_global_norm_gives_exactly_c_and_leaves_small_gradients(rng):
    g = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    norm = clip_by_global_norm(g, 0.5)
    after = math.sqrt(sum(float((x * x).sum()) for x in g))
    assert norm > 0.5 and abs(after - 0.5) < 1e-15  # PyTorch's would be 0.5 * n/(n + 1e-6)
    small = [x.copy() for x in g]
    clip_by_global_norm(small, 1.0)
    for a, b in zip(small, g):
        np.testing.assert_array_equal(a, b)


# --- the same checks on the device (CuPy, or the CPU stand-in for it) -----------------------------
@pytest.mark.gpu
def test_device_multi_hot_targets_give_the_cpu_gradient(cp, rng):
    X, Y = rng.normal(size=(3, 6)), _multi_hot(rng)
    cpu = nb.Network([3, 5, 4], hidden="tanh", loss="cce", seed=3)
    gpu = nb.Network([3, 5, 4], hidden="tanh", loss="cce", seed=3, device="gpu")
    J_cpu = cpu.loss_and_grad(X, Y)
    J_gpu = gpu.loss_and_grad(cp.asarray(X), cp.asarray(Y))
    assert abs(J_cpu - J_gpu) <= 1e-12 * abs(J_cpu)
    np.testing.assert_allclose(nb.to_numpy(gpu.grad), cpu.grad, rtol=1e-10, atol=1e-14)


@pytest.mark.gpu
def test_device_losses_refuse_the_same_bad_inputs(cp):
    Y = cp.asarray(np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match=r"predictions must be probabilities in \[0, 1\], got 1\.5"):
        L.binary_cross_entropy(cp.asarray(np.array([[1.5, -0.5]])), Y)
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\].*got 2\.0"):
        L.softmax_cross_entropy(cp.asarray(np.zeros((2, 2))), cp.asarray(np.array([[2.0, 0], [0, 1]])))
    with pytest.raises(ValueError, match=r"column 0 sums to"):
        L.categorical_cross_entropy(cp.asarray(np.full((3, 2), 0.5)), cp.asarray(np.eye(3)[:, :2]))
    with pytest.raises(ValueError, match="empty batch"):
        L.mse(cp.asarray(np.zeros((1, 0))), cp.asarray(np.zeros((1, 0))))
    assert isinstance(act.sigmoid(cp.asarray(np.zeros(3))), cp.ndarray)  # asarray keeps it on the device


@pytest.mark.gpu
def test_device_standardizer_and_set_parameters(cp, rng):
    X = (rng.normal(size=(2, 40)) + 1.0) * 1e200
    Z = nb.to_numpy(nb.Standardizer().fit_transform(cp.asarray(X)))
    np.testing.assert_allclose(Z.std(axis=1), 1, rtol=1e-12)
    net = nb.Network([2, 2, 1], device="gpu")
    with pytest.raises(ValueError, match="b1 contains NaN"):
        net.set_parameters([np.ones((2, 2)), np.array([np.nan, 0.0]), np.ones((1, 2)), 0.0])


@pytest.mark.gpu
def test_device_divergence_by_growth_is_caught(cp):
    X, y = nb.data.blobs(120, centers=3, seed=0)
    net = nb.Network([2, 16, 3], hidden="relu", loss="cce", seed=0, device="gpu")
    with pytest.raises(TrainingDiverged, match="divergence_factor") as info:
        fit(net, X, y, epochs=20, lr=1e6, batch_size=32)
    assert isinstance(info.value.history, History)
    assert np.isfinite(nb.to_numpy(net.theta)).all()


def test_metadata_checks_know_batch_normalized_layers(tmp_path, rng):
    net = nb.Network([3, 5, 2], loss="bce", batchnorm=True, seed=1)
    net.forward(rng.normal(size=(3, 8)), training=True)  # move the running statistics
    path = io.save_network(net, tmp_path / "bn")
    back = io.load_network(path)
    np.testing.assert_array_equal(back.theta, net.theta)
    meta = io.read_metadata(path)
    meta["batchnorm"] = [False]  # the file holds gamma1, beta1, ... but the metadata says b1
    with pytest.raises(ValueError, match=r"'n_params' is 37 but the sizes \[3, 5, 2\] give 32"):
        io.load_network(_write_npz(tmp_path / "count.npz", meta, **{
            n: nb.to_numpy(p) for n, p, _ in net.named_parameters()}))
    del meta["n_params"]
    arrays = {n: nb.to_numpy(p) for n, p, _ in net.named_parameters()}
    arrays.update({n: nb.to_numpy(b) for n, b in net.named_buffers()})
    lying = _write_npz(tmp_path / "lying.npz", meta, **arrays)
    with pytest.raises(ValueError, match=r"lying\.npz: .*describes arrays b1"):
        io.load_network(lying)
