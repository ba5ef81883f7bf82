"""The GPU code path, on every machine: nnbook on the CPU stand-in for CuPy (and on real CuPy).

Every test here is marked ``gpu``, so conftest.py runs it against tests/cupy_standin.py —
whose arrays refuse to meet NumPy arrays implicitly, as CuPy's do — and, where a CUDA GPU is
usable, against CuPy itself.  A host/device mix-up anywhere in these paths (``np.asarray`` of a
device array, a host array combined with a device one, a draw from the device's random
generator, ``np.errstate`` on the device) fails here without a GPU.

The first tests check the stand-in itself: that it catches what CuPy would refuse and lets
through what CuPy allows.
"""
from __future__ import annotations

import numpy as np
import pytest

import nnbook as nb
from nnbook import backend, data, losses, regularization
from nnbook.training import fit

pytestmark = pytest.mark.gpu
TOL = dict(rtol=1e-10, atol=1e-12)


def _is_standin(cp):
    return cp.__name__ == "cupy_standin"


# --- the stand-in behaves like CuPy where it matters ------------------------------------------
def test_standin_refuses_implicit_host_copies(cp):
    if not _is_standin(cp):
        pytest.skip("checks the stand-in's own behaviour")
    d = cp.asarray(np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        np.asarray(d)
    with pytest.raises(TypeError, match="NumPy array cannot be combined"):
        d + np.ones((2, 3))
    with pytest.raises(TypeError, match="NumPy array cannot be combined"):
        np.ones((2, 3)) * d
    with pytest.raises(TypeError, match="NumPy array cannot be combined"):
        cp.exp(np.ones(3))
    with pytest.raises(TypeError, match="NumPy array cannot be combined"):
        d[...] = np.zeros((2, 3))
    with pytest.raises(TypeError, match="sequences"):
        cp.exp([1.0, 2.0])
    with pytest.raises(AttributeError, match="errstate"):
        cp.errstate
    with pytest.raises(TypeError, match="only size-1"):
        float(d)


def test_standin_allows_what_cupy_allows(cp):
    d = cp.asarray(np.arange(6.0).reshape(2, 3))
    assert isinstance(d + 1.5, cp.ndarray) and isinstance(d * np.float64(2), cp.ndarray)
    s = d.sum()
    assert isinstance(s, cp.ndarray) and s.shape == ()          # reductions stay on the device
    assert float(s) == 15.0 and bool(s > 0) and int(d.max()) == 5
    assert f"{d.mean():.2f}" == "2.50"
    assert isinstance(np.exp(d), cp.ndarray)                     # ufuncs dispatch to the device
    assert isinstance(np.sum(d, axis=0), cp.ndarray)             # __array_function__ too
    v = d.reshape(-1)
    v[0] = 7.0                                                   # views share memory
    assert float(d[0, 0]) == 7.0
    np.testing.assert_array_equal(cp.asnumpy(d), d.get())


def test_standin_counts_transfers(cp):
    if not _is_standin(cp):
        pytest.skip("counts the stand-in's transfers")
    with cp.count_transfers() as t:
        d = cp.asarray(np.ones(4))
        (d * 2).sum()
        float(d.sum())
        d.get()
    assert t["to_device"] == 1 and t["to_host"] == 2
    assert t["to_host:float"] == 1 and t["to_host:get"] == 1


def test_loss_and_grad_copies_host_inputs_and_targets_once(cp):
    if not _is_standin(cp):
        pytest.skip("counts the stand-in's transfers")
    net = nb.Network([5, 4, 3], hidden="tanh", output="softmax", loss="cce", seed=0,
                     device="gpu")
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(5, 8)), np.eye(3)[:, rng.integers(0, 3, 8)]
    net.loss_and_grad(X, Y)                       # warm-up: nothing cached from here on
    with cp.count_transfers() as t:
        net.loss_and_grad(X, Y)
    assert t["to_device"] == 2, dict(t)           # X once, Y once (not again for backward)


def test_standin_random_numbers_are_not_numpys(cp):
    if not _is_standin(cp):
        pytest.skip("checks the stand-in's generator")
    cp.random.seed(0)
    host = np.random.default_rng(0).random(5)
    assert not np.allclose(cp.random.random(5).get(), host)


# --- a deliberate host/device mix in nnbook is caught ------------------------------------------
def test_a_host_conversion_inside_a_loss_is_caught(cp, monkeypatch):
    """What the stand-in exists for: ``np.asarray`` of a device array inside a loss fails."""
    if not _is_standin(cp):
        pytest.skip("real CuPy raises the same TypeError; this documents the stand-in")
    original = losses.mse

    def leaky_mse(Y_hat, Y, half=False):
        return original(np.asarray(Y_hat), np.asarray(Y), half)  # the mistake

    monkeypatch.setattr(losses, "mse", leaky_mse)
    Y_hat, Y = cp.asarray(np.ones((1, 4))), cp.asarray(np.zeros((1, 4)))
    with pytest.raises(TypeError, match="Implicit conversion"):
        losses.mse(Y_hat, Y)


def test_a_host_array_combined_with_a_device_one_is_caught(cp):
    if not _is_standin(cp):
        pytest.skip("documents the stand-in")
    net = nb.Network([3, 4, 2], loss="mse", device="gpu")
    with pytest.raises(TypeError):
        net.theta - 0.1 * np.ones(net.theta.shape)   # a host gradient applied to device weights


# --- every training path on the device gives the CPU's numbers ---------------------------------
@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_fit_with_every_option_matches_cpu(cp, name):
    X, y = data.spirals(90, classes=3, seed=1)
    kw = dict(epochs=4, optimizer=name, lr=0.02, batch_size=32, validation_data=(X, y),
              l1=1e-4, l2=1e-3, clip_norm=1.0, diagnostics=True, early_stopping=3, seed=3)
    cpu = nb.Network([2, 12, 8, 3], hidden="relu", loss="cce", seed=4, dropout=0.2)
    gpu = nb.Network([2, 12, 8, 3], hidden="relu", loss="cce", seed=4, dropout=0.2, device="gpu")
    h_cpu, h_gpu = fit(cpu, X, y, **kw), fit(gpu, X, y, **kw)
    assert isinstance(gpu.theta, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(gpu.theta), cpu.theta, rtol=1e-9, atol=1e-12)
    assert set(h_gpu.history) == set(h_cpu.history)
    for key in h_cpu.history:
        np.testing.assert_allclose(np.asarray(h_gpu[key], dtype=float),
                                   np.asarray(h_cpu[key], dtype=float),
                                   rtol=1e-8, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_penalties_and_clipping_on_the_device(cp, dtype, rng):
    cpu = nb.Network([4, 6, 3], hidden="tanh", loss="mse", seed=2, dtype=dtype)
    gpu = nb.Network([4, 6, 3], hidden="tanh", loss="mse", seed=2, dtype=dtype, device="gpu")
    X, Y = rng.normal(size=(4, 7)), rng.normal(size=(3, 7))
    cpu.loss_and_grad(X, Y)
    gpu.loss_and_grad(X, Y)
    R_cpu, R_gpu = regularization.penalty(cpu, 0.01, 0.1), regularization.penalty(gpu, 0.01, 0.1)
    assert isinstance(R_gpu, float) and R_gpu == pytest.approx(R_cpu, rel=1e-6)
    regularization.add_penalty_gradient(cpu, 0.01, 0.1)
    regularization.add_penalty_gradient(gpu, 0.01, 0.1)
    n_cpu = nb.clip_by_global_norm(cpu.grad, 0.5)
    n_gpu = nb.clip_by_global_norm(gpu.grad, 0.5)
    assert float(n_gpu) == pytest.approx(float(n_cpu), rel=1e-6)
    nb.clip_by_value(cpu.grad, 0.01)
    nb.clip_by_value(gpu.grad, 0.01)
    assert gpu.grad.dtype == dtype
    np.testing.assert_allclose(cp.asnumpy(gpu.grad), cpu.grad, rtol=1e-5 if dtype == np.float32
                               else 1e-10, atol=1e-7 if dtype == np.float32 else 1e-12)


def test_early_stopping_restores_on_the_device(cp):
    net = nb.Network([2, 3, 1], loss="mse", device="gpu", seed=0)
    stop = regularization.EarlyStopping(patience=1)
    stop.update(1.0, net)
    best = cp.asnumpy(net.theta)
    net.theta += 1.0
    stop.update(2.0, net)
    stop.restore(net)
    assert isinstance(net.theta, cp.ndarray)
    np.testing.assert_array_equal(cp.asnumpy(net.theta), best)


def test_checkers_accept_device_networks(cp, rng):
    net = nb.Network([3, 5, 2], hidden="sigmoid", loss="bce", device="gpu", seed=1)
    X = rng.normal(size=(3, 6))
    Y = (rng.random((2, 6)) < 0.5).astype(float)
    errors = nb.check_network_gradients(net, X, Y)
    assert max(errors.values()) < 1e-7, errors


def test_float32_save_and_load_round_trip_through_the_device(cp, tmp_path):
    gpu = nb.Network([3, 4, 2], loss="cce", device="gpu", dtype=np.float32, seed=6)
    path = nb.save_network(gpu, tmp_path / "net.npz")
    back = nb.load_network(path, device="gpu")
    assert isinstance(back.theta, cp.ndarray) and back.theta.dtype == np.float32
    np.testing.assert_array_equal(cp.asnumpy(back.theta), cp.asnumpy(gpu.theta))


# --- host<->device transfers in training are few and do not grow with the network -------------
def _epoch_transfers(cp, sizes, m, batch_size):
    X, y = data.blobs(m, centers=3, seed=0)
    net = nb.Network(sizes, hidden="relu", loss="cce", device="gpu", seed=0)
    fit(net, X, y, epochs=1, optimizer="adam", lr=0.01, batch_size=batch_size)  # warm up
    with cp.count_transfers() as t:
        fit(net, X, y, epochs=1, optimizer="adam", lr=0.01, batch_size=batch_size)
    return dict(t)


# What one fit() epoch on the device copies between host and device, by design:
#  - to the device: X and Y once per call (the data are moved once, then batched there);
#  - to the host: per minibatch, the batch's loss (one float, for the history) and the
#    finiteness checks of the input and the cost (one bool each); per epoch a handful more
#    (the epoch's accuracy).  Nothing per parameter array, nothing per elementwise operation.
MAX_TO_HOST_PER_BATCH = 4
MAX_TO_HOST_PER_EPOCH = 6
MAX_TO_DEVICE_PER_CALL = 4


def test_fit_transfers_are_bounded_and_independent_of_depth(cp):
    if not _is_standin(cp):
        pytest.skip("transfers are counted by the stand-in")
    m, batch = 120, 20
    batches = m // batch
    shallow = _epoch_transfers(cp, [2, 8, 3], m, batch)
    deep = _epoch_transfers(cp, [2, 8, 8, 8, 8, 8, 3], m, batch)
    assert shallow["to_host"] == deep["to_host"], (shallow, deep)        # none per layer
    assert shallow["to_device"] == deep["to_device"], (shallow, deep)
    assert shallow["to_host"] <= MAX_TO_HOST_PER_BATCH * batches + MAX_TO_HOST_PER_EPOCH, shallow
    assert shallow["to_device"] <= MAX_TO_DEVICE_PER_CALL, shallow
    # twice the batches: the per-batch part doubles, no more
    more = _epoch_transfers(cp, [2, 8, 3], 2 * m, batch)
    per_batch = (more["to_host"] - shallow["to_host"]) / batches
    assert 1 <= per_batch <= MAX_TO_HOST_PER_BATCH, (shallow, more)


def test_optimizer_steps_make_no_transfers(cp):
    if not _is_standin(cp):
        pytest.skip("transfers are counted by the stand-in")
    theta = cp.asarray(np.ones(50))
    g = cp.asarray(np.full(50, 0.1))
    for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        opt = nb.get_optimizer(name, lr=0.01)
        with cp.count_transfers() as t:
            for _ in range(3):
                opt.step(theta, g)
        assert t["to_host"] == 0 and t["to_device"] == 0, (name, dict(t))


def test_use_gpu_module_restores(cp):
    before = backend.use_gpu_module(None)
    try:
        assert before is cp
    finally:
        backend.use_gpu_module(before)
    assert backend.array_module("gpu") is cp


# --- the GPU benchmark is ready to run ----------------------------------------------------
@pytest.mark.parametrize("extra, expect", [([], ("no usable CUDA GPU", "nnbook/torch")),
                                           (["--standin"], ("CPU stand-in for CuPy",))])
def test_gpu_benchmark_script_runs(cp, extra, expect):
    """``bench_gpu.py`` exits 0 with a message without a GPU, and runs nnbook's device path."""
    import subprocess
    import sys
    from pathlib import Path

    if not _is_standin(cp):
        pytest.skip("with a GPU, run the benchmark itself")
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gpu.py"
    done = subprocess.run([sys.executable, str(script), *extra, "--samples", "600",
                           "--epochs", "1", "--batch-sizes", "128"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert any(e in done.stdout for e in expect), done.stdout   # (with a GPU: the real run)
