"""Tests of nnbook.io: .npz save/load of networks, without pickle."""
import json

import numpy as np
import pytest

from nnbook import io
from nnbook.network import Network


def _perturbed(net, seed=1):
    """Give the network non-trivial biases too, so the round trip checks them."""
    net.theta[:] = np.random.default_rng(seed).normal(size=net.theta.size)
    return net


def test_round_trip_is_exact(tmp_path):
    net = _perturbed(Network([3, 5, 4, 2], hidden="tanh", loss="cce", seed=3))
    path = io.save_network(net, tmp_path / "model")
    assert path == tmp_path / "model.npz" and path.exists()
    new = io.load_network(path)
    assert new.sizes == net.sizes
    assert [l.g.name for l in new.layers] == ["tanh", "tanh", "softmax"]
    assert new.loss_fn.name == "categorical_cross_entropy" and new.dtype == np.float64
    np.testing.assert_array_equal(new.theta, net.theta)
    X = np.random.default_rng(0).normal(size=(3, 7))
    np.testing.assert_array_equal(new.forward(X), net.forward(X))


def test_round_trip_keeps_loss_options_alpha_and_dtype(tmp_path):
    net = _perturbed(Network([2, 3, 1], hidden="leaky_relu", alpha=0.2, loss="huber",
                             loss_kwargs={"delta": 2.5}, dtype=np.float32))
    new = io.load_network(io.save_network(net, tmp_path / "h.npz"))
    assert new.dtype == np.float32
    np.testing.assert_array_equal(new.theta, net.theta)
    X = np.array([[-1.0, 2.0], [3.0, -4.0]], dtype=np.float32)
    np.testing.assert_array_equal(new.forward(X), net.forward(X))  # same slope 0.2
    Y = np.array([[10.0, -10.0]], dtype=np.float32)
    assert new.cost(Y) == net.cost(Y)  # same Huber delta
    assert io.load_network(tmp_path / "h.npz", dtype=np.float64).dtype == np.float64


def test_file_layout_is_plain_arrays_and_json(tmp_path):
    net = Network([2, 3, 1], loss="bce")
    path = io.save_network(net, tmp_path / "n.npz")
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["W1", "W2", "b1", "b2", "nnbook_meta"]
        assert f["W1"].shape == (3, 2) and f["b2"].shape == (1, 1)
        meta = json.loads(str(f["nnbook_meta"][()]))
        assert f["nnbook_meta"].dtype.kind == "U" and f["nnbook_meta"].ndim == 0
    assert meta["sizes"] == [2, 3, 1] and meta["activations"] == ["relu", "sigmoid"]
    assert meta["loss"] == "binary_cross_entropy" and meta["dtype"] == "float64"
    assert io.read_metadata(path) == meta


def test_load_parameters_into_existing_network(tmp_path):
    src = _perturbed(Network([2, 4, 1], hidden="tanh"))
    path = io.save_network(src, tmp_path / "a.npz")
    dst = Network([2, 4, 1], hidden="tanh", seed=9)
    assert io.load_parameters(dst, path) is dst
    np.testing.assert_array_equal(dst.theta, src.theta)
    dst.layers[0].W[0, 0] += 1.0  # views into theta still work after loading
    assert dst.theta[0] == src.theta[0] + 1.0


def test_mismatched_architecture_and_shapes(tmp_path):
    path = io.save_network(Network([2, 4, 1], hidden="tanh"), tmp_path / "a.npz")
    with pytest.raises(ValueError, match=r"sizes \[2, 4, 1\], this network has \[2, 3, 1\]"):
        io.load_parameters(Network([2, 3, 1], hidden="tanh"), path)
    with pytest.raises(ValueError, match="activations"):
        io.load_parameters(Network([2, 4, 1], hidden="relu"), path)
    # weights-only file: the per-array shape check names the array, expected and got
    np.savez(tmp_path / "w.npz", W1=np.zeros((4, 2)), b1=np.zeros((4, 1)),
             W2=np.zeros((1, 3)), b2=np.zeros((1, 1)))
    net = Network([2, 4, 1], seed=0)
    before = net.theta.copy()
    with pytest.raises(ValueError, match=r"W2: expected shape \(1, 4\), got \(1, 3\)"):
        io.load_parameters(net, tmp_path / "w.npz")
    np.testing.assert_array_equal(net.theta, before)  # nothing copied on failure
    np.savez(tmp_path / "t.npz", W1=np.zeros((2, 4)), b1=np.zeros((4, 1)),
             W2=np.zeros((1, 4)), b2=np.zeros((1, 1)))
    with pytest.raises(ValueError, match=r"W1: expected shape \(4, 2\), got \(2, 4\).*transposed"):
        io.load_parameters(net, tmp_path / "t.npz")


def test_missing_and_extra_arrays(tmp_path):
    np.savez(tmp_path / "m.npz", W1=np.zeros((4, 2)), b1=np.zeros((4, 1)), W2=np.zeros((1, 4)))
    with pytest.raises(ValueError, match="no array 'b2'"):
        io.load_parameters(Network([2, 4, 1]), tmp_path / "m.npz")
    path = io.save_network(Network([2, 4, 3, 1]), tmp_path / "deep.npz")
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files if k != "nnbook_meta"}
    np.savez(tmp_path / "deep_weights.npz", **arrays)
    with pytest.raises(ValueError, match="holds arrays W3, b3 that this 2-layer network"):
        io.load_parameters(Network([2, 4, 1]), tmp_path / "deep_weights.npz")


def test_file_without_metadata(tmp_path):
    src = _perturbed(Network([2, 4, 1]))
    np.savez(tmp_path / "plain.npz", **{n: p for n, p, _ in src.named_parameters()})
    assert io.read_metadata(tmp_path / "plain.npz") is None
    with pytest.raises(ValueError, match="no architecture metadata.*load_parameters"):
        io.load_network(tmp_path / "plain.npz")
    dst = io.load_parameters(Network([2, 4, 1], seed=5), tmp_path / "plain.npz")
    np.testing.assert_array_equal(dst.theta, src.theta)


def test_pickled_content_is_refused(tmp_path):
    obj = np.empty(1, dtype=object)
    obj[0] = {"evil": True}
    np.savez(tmp_path / "p.npz", W1=obj, b1=np.zeros((4, 1)), W2=np.zeros((1, 4)),
             b2=np.zeros((1, 1)))
    with pytest.raises(ValueError, match=r"p\.npz: .*'W1' holds Python objects \(pickle\)"):
        io.load_parameters(Network([2, 4, 1]), tmp_path / "p.npz")
    np.savez(tmp_path / "q.npz", nnbook_meta=obj)
    with pytest.raises(ValueError, match=r"q\.npz: .*holds Python objects \(pickle\)"):
        io.load_network(tmp_path / "q.npz")


def test_round_trip_keeps_dropout(tmp_path):
    net = _perturbed(Network([2, 5, 4, 1], hidden="relu", loss="bce", dropout=[0.3, 0.1],
                             dropout_mode="classic"))
    new = io.load_network(io.save_network(net, tmp_path / "d.npz"))
    assert [l.dropout for l in new.layers] == [0.3, 0.1, 0.0]
    assert new.layers[0].dropout_mode == "classic"
    X = np.random.default_rng(0).normal(size=(2, 6))
    np.testing.assert_array_equal(new.forward(X), net.forward(X))  # classic scales at test time
    plain = io.load_network(io.save_network(Network([2, 3, 1]), tmp_path / "p.npz"))
    assert all(l.dropout == 0.0 for l in plain.layers)


@pytest.mark.gpu
def test_gpu_network_saves_and_loads_on_cpu(tmp_path):
    gpu = Network([3, 4, 2], loss="cce", device="gpu", seed=2)
    cpu = io.load_network(io.save_network(gpu, tmp_path / "g.npz"))
    np.testing.assert_array_equal(cpu.theta, gpu.theta.get())
    back = io.load_network(tmp_path / "g.npz", device="gpu")
    np.testing.assert_array_equal(back.theta.get(), cpu.theta)
