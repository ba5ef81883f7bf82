"""Tests of nnbook.backend on the CPU, its GPU error paths, and (marked ``gpu``) NumPy/CuPy agreement.

The tests marked ``gpu`` skip cleanly without CuPy and a usable CUDA device (see conftest.py).
"""
from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

import nnbook as nb
from nnbook import activations, backend, losses
from nnbook.backend import BackendError, array_module, get_array_module, to_device, to_numpy


# --- CPU ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    (np.ones(3),), (np.ones((2, 2), dtype=np.float32),), (1.0,), (3,), (np.float32(2.0),),
    ([1.0, 2.0],), (np.ones(3), 2.0, np.zeros((1, 1))), (),
])
def test_get_array_module_is_numpy_for_host_data(args):
    assert get_array_module(*args) is np


def test_device_of_host_data():
    assert backend.device_of(np.ones(2)) == "cpu"
    assert backend.device_of(1.5) == "cpu"


def test_array_module_cpu_and_unknown_devices():
    assert array_module("cpu") is np
    assert array_module() is np
    for bad in ("tpu", "GPU", "cuda", ""):
        with pytest.raises(ValueError, match=r"device must be one of \('cpu', 'gpu'\)"):
            array_module(bad)


def test_to_numpy_and_to_device_round_trip_on_cpu():
    x = np.arange(6.0).reshape(2, 3)
    assert to_numpy(x) is x
    assert to_device(x, "cpu") is x  # already there: no copy
    assert to_device(x, "cpu", np.float64) is x
    y = to_device(x, "cpu", np.float32)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(to_numpy(to_device(x, "cpu")), x)
    lst = to_numpy([[1, 2], [3, 4]])
    assert isinstance(lst, np.ndarray) and lst.shape == (2, 2)
    with pytest.raises(ValueError, match="device must be one of"):
        to_device(x, "tpu")


def test_backend_error_is_a_runtime_error():
    assert issubclass(BackendError, RuntimeError)
    assert nb.BackendError is BackendError


# --- the GPU paths, exercised without a GPU by faking what CuPy reports ------------------------
def _fake_cupy(monkeypatch, module):
    monkeypatch.setattr(backend, "_cupy", module)
    monkeypatch.setattr(backend, "_cupy_checked", True)


def test_gpu_without_cupy_gives_a_clear_error(monkeypatch):
    _fake_cupy(monkeypatch, None)
    assert backend.gpu_available() is False
    with pytest.raises(BackendError, match="needs CuPy, which is not installed") as info:
        array_module("gpu")
    assert "device='cpu'" in str(info.value) and "pip install" in str(info.value)


def test_gpu_with_cupy_but_no_device_gives_a_clear_error(monkeypatch):
    _fake_cupy(monkeypatch, types.SimpleNamespace(is_available=lambda: False))
    assert backend.gpu_available() is False
    with pytest.raises(BackendError, match="no usable CUDA GPU") as info:
        array_module("gpu")
    assert "nvidia-smi" in str(info.value) and "device='cpu'" in str(info.value)


def test_gpu_with_a_broken_driver_is_not_available(monkeypatch):
    def broken():
        raise RuntimeError("cudaErrorInsufficientDriver")

    _fake_cupy(monkeypatch, types.SimpleNamespace(is_available=broken))
    assert backend.gpu_available() is False
    with pytest.raises(BackendError, match="no usable CUDA GPU"):
        array_module("gpu")


def test_gpu_with_a_usable_device_returns_cupy(monkeypatch):
    fake = types.SimpleNamespace(is_available=lambda: True)
    _fake_cupy(monkeypatch, fake)
    assert backend.gpu_available() is True
    assert array_module("gpu") is fake


@pytest.mark.skipif(backend.gpu_available(), reason="a GPU is usable here")
def test_gpu_requests_fail_without_a_gpu():
    with pytest.raises(BackendError, match="device='gpu'"):
        array_module("gpu")
    with pytest.raises(BackendError, match="device='gpu'"):
        to_device(np.ones(3), "gpu")
    with pytest.raises(BackendError, match="device='gpu'"):
        nb.Network([3, 2], device="gpu")
    with pytest.raises(BackendError, match="device='gpu'"):
        nb.Dense(3, 2, device="gpu")


def test_importing_nnbook_does_not_import_cupy():
    code = (
        "import sys, numpy as np, nnbook as nb\n"
        "net = nb.Network([3, 4, 2], hidden='tanh', loss='cce')\n"
        "net.loss_and_grad(np.ones((3, 5)), np.eye(2)[:, [0, 1, 0, 1, 1]])\n"
        "nb.get_array_module(np.ones(2)); nb.to_numpy(np.ones(2)); nb.to_device(np.ones(2), 'cpu')\n"
        "assert 'cupy' not in sys.modules, 'nnbook imported cupy'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# --- GPU: NumPy and CuPy give the same numbers (skipped without a GPU) --------------------------
GPU_TOL = dict(rtol=1e-10, atol=1e-12)


@pytest.mark.gpu
def test_gpu_round_trip_and_module_lookup(cp):
    x = np.arange(6.0).reshape(2, 3)
    d = to_device(x, "gpu")
    assert isinstance(d, cp.ndarray)
    assert backend.device_of(d) == "gpu"
    assert get_array_module(d) is cp
    assert get_array_module(x, d) is cp
    assert array_module("gpu") is cp
    back = to_numpy(d)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, x)
    assert to_device(x, "gpu", np.float32).dtype == np.float32
    assert isinstance(to_device(d, "cpu"), np.ndarray)
    np.testing.assert_array_equal(to_device(d, "cpu"), x)


@pytest.mark.gpu
def test_same_seed_same_initial_parameters_on_both_backends(cp):
    for dtype in (np.float64, np.float32):
        cpu = nb.Network([5, 7, 3], hidden="relu", loss="cce", seed=11, dtype=dtype)
        gpu = nb.Network([5, 7, 3], hidden="relu", loss="cce", seed=11, dtype=dtype, device="gpu")
        assert isinstance(gpu.theta, cp.ndarray) and gpu.theta.dtype == dtype
        assert isinstance(gpu.layers[0].W, cp.ndarray)
        np.testing.assert_array_equal(gpu.theta.get(), cpu.theta)


@pytest.mark.gpu
@pytest.mark.parametrize("name", activations.ACTIVATION_NAMES)
def test_activations_agree_on_gpu(cp, name, rng):
    g = activations.get_activation(name)
    Z = rng.normal(scale=3, size=(4, 6))
    dA = rng.normal(size=Z.shape)
    Zd, dAd = cp.asarray(Z), cp.asarray(dA)
    Ad = g.forward(Zd)
    assert isinstance(Ad, cp.ndarray)
    np.testing.assert_allclose(Ad.get(), g.forward(Z), **GPU_TOL)
    np.testing.assert_allclose(g.backward(dAd, Zd, Ad).get(), g.backward(dA, Z, g.forward(Z)),
                               **GPU_TOL)
    if g.prime is not None:
        np.testing.assert_allclose(g.prime(Zd).get(), g.prime(Z), **GPU_TOL)


@pytest.mark.gpu
@pytest.mark.parametrize("name", losses.LOSS_NAMES)
def test_losses_agree_on_gpu(cp, name, rng):
    loss = losses.get_loss(name)
    A = rng.uniform(0.05, 0.95, size=(3, 5))
    A = A / A.sum(axis=0) if "categorical" in name else A
    Y = np.eye(3)[:, rng.integers(0, 3, size=5)]
    J = loss.value(cp.asarray(A), cp.asarray(Y))
    assert isinstance(J, float)
    assert J == pytest.approx(loss.value(A, Y), rel=1e-10)
    G = loss.grad(cp.asarray(A), cp.asarray(Y))
    assert isinstance(G, cp.ndarray)
    np.testing.assert_allclose(G.get(), loss.grad(A, Y), **GPU_TOL)


@pytest.mark.gpu
@pytest.mark.parametrize("hidden, loss, n_out", [
    ("relu", "cce", 3), ("tanh", "bce", 2), ("sigmoid", "mse", 2), ("leaky_relu", "huber", 1),
])
def test_network_on_gpu_matches_cpu(cp, hidden, loss, n_out, rng):
    sizes = [4, 6, 5, n_out]
    cpu = nb.Network(sizes, hidden=hidden, loss=loss, seed=5)
    gpu = nb.Network(sizes, hidden=hidden, loss=loss, seed=5, device="gpu")
    X = rng.normal(size=(4, 8))
    Y = (np.eye(n_out)[:, rng.integers(0, n_out, size=8)] if loss == "cce"
         else (rng.uniform(size=(n_out, 8)) < 0.5).astype(float) if loss == "bce"
         else rng.normal(size=(n_out, 8)))
    A_cpu = cpu.forward(X)
    A_gpu = gpu.forward(X)  # NumPy input is moved to the device
    assert isinstance(A_gpu, cp.ndarray)
    np.testing.assert_allclose(A_gpu.get(), A_cpu, **GPU_TOL)
    J_cpu, J_gpu = cpu.cost(Y), gpu.cost(Y)
    assert isinstance(J_gpu, float)
    assert J_gpu == pytest.approx(J_cpu, rel=1e-10, abs=1e-12)
    cpu.backward(Y)
    gpu.backward(cp.asarray(Y))
    assert isinstance(gpu.grad, cp.ndarray)
    np.testing.assert_allclose(gpu.grad.get(), cpu.grad, **GPU_TOL)
    for (name, _, g_cpu), (_, _, g_gpu) in zip(cpu.named_parameters(), gpu.named_parameters()):
        np.testing.assert_allclose(g_gpu.get(), g_cpu, **GPU_TOL, err_msg=name)
    # one gradient-descent step through the flat vector, on both
    cpu.theta -= 0.1 * cpu.grad
    gpu.theta -= 0.1 * gpu.grad
    np.testing.assert_allclose(gpu.theta.get(), cpu.theta, **GPU_TOL)
    assert gpu.loss_and_grad(X, Y) == pytest.approx(cpu.loss_and_grad(X, Y), rel=1e-10, abs=1e-12)


@pytest.mark.gpu
def test_gradient_check_on_gpu(cp, rng):
    net = nb.Network([3, 4, 2], hidden="tanh", loss="cce", device="gpu", seed=1)
    X = rng.normal(size=(3, 5))
    Y = np.eye(2)[:, rng.integers(0, 2, size=5)]
    errors = nb.check_network_gradients(net, X, Y)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.gpu
def test_float32_network_on_gpu(cp, rng):
    net = nb.Network([4, 6, 3], hidden="relu", loss="cce", dtype=np.float32, device="gpu")
    X = rng.normal(size=(4, 8))
    Y = np.eye(3)[:, rng.integers(0, 3, size=8)]
    J = net.loss_and_grad(X, Y)
    assert np.isfinite(J)
    assert net.theta.dtype == net.grad.dtype == np.float32
    assert net.forward(X).dtype == np.float32
