"""Shared fixtures and the handling of the ``gpu`` marker.

Tests marked ``@pytest.mark.gpu`` run on both device backends: the CPU stand-in for CuPy
(tests/cupy_standin.py, always) and real CuPy (skipped with a reason unless a CUDA GPU is
usable).  The marker is declared in ``pyproject.toml``; whether a GPU is usable is asked only
when such a test runs on ``[cupy]``, so a plain CPU run never imports CuPy otherwise.
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Modest, deterministic property tests: the whole suite stays fast.
settings.register_profile(
    "nnbook",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("nnbook")


# --- the device backends: real CuPy (with a GPU) and the CPU stand-in (always) -------------
# Every test marked ``gpu`` runs once per device backend: ``[stand-in]`` against
# tests/cupy_standin.py, a CPU array module whose arrays refuse to mix with NumPy's as CuPy's
# do (so host/device mistakes fail here, on any machine), and ``[cupy]`` against real CuPy,
# skipped with a reason unless a CUDA GPU is usable.  Such a test asks for the module with the
# ``cp`` fixture, or just uses ``device="gpu"``.
DEVICE_BACKENDS = ("stand-in", "cupy")


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("gpu") is not None:
        metafunc.fixturenames.append("gpu_backend_name")
        metafunc.parametrize("gpu_backend_name", DEVICE_BACKENDS, ids=DEVICE_BACKENDS)


@pytest.fixture(autouse=True)
def device_backend(request):
    """The array module behind ``device="gpu"`` in a ``gpu`` test (see DEVICE_BACKENDS); else None."""
    if request.node.get_closest_marker("gpu") is None:
        yield None
        return
    from nnbook import backend

    if request.node.callspec.params["gpu_backend_name"] == "cupy":
        backend.use_gpu_module(None)
        if not backend.gpu_available():
            reason = ("needs CuPy and a usable CUDA GPU: CuPy is not installed"
                      if backend.cupy_or_none() is None
                      else "needs a usable CUDA GPU: CuPy is installed but "
                           "cupy.is_available() is False")
            backend.use_gpu_module(None)
            pytest.skip(reason)
        yield backend.cupy_or_none()
        return
    import cupy_standin

    before = backend.use_gpu_module(cupy_standin)
    cupy_standin.transfers.clear()
    try:
        yield cupy_standin
    finally:
        backend.use_gpu_module(before)


@pytest.fixture
def cp(device_backend):
    """The device array module of a ``gpu`` test: CuPy, or the CPU stand-in for it."""
    return device_backend


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh NumPy Generator with a fixed seed, so every test is reproducible."""
    return np.random.default_rng(20240917)


@contextlib.contextmanager
def _no_warnings():
    """Turn every warning, and every floating-point overflow, invalid or divide-by-zero, into an error.

    Underflow is allowed: ``exp(-1e4) == 0`` is the correctly rounded answer, not a problem.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            yield


@pytest.fixture
def no_warnings():
    """Context manager factory: ``with no_warnings(): ...`` fails on any warning or FP error."""
    return _no_warnings
