"""Shared fixtures and the handling of the ``gpu`` marker.

Tests marked ``@pytest.mark.gpu`` need CuPy and a usable CUDA device; without one they are
skipped with a reason (the marker is declared in ``pyproject.toml``).  Whether a GPU is
usable is asked only when such a test was collected, so a plain CPU run never tries to
import CuPy.
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


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if item.get_closest_marker("gpu") is not None]
    if not gpu_items:
        return
    from nnbook.backend import cupy_or_none, gpu_available

    if gpu_available():
        return
    reason = ("needs CuPy and a usable CUDA GPU: CuPy is not installed"
              if cupy_or_none() is None
              else "needs a usable CUDA GPU: CuPy is installed but cupy.is_available() is False")
    skip = pytest.mark.skip(reason=reason)
    for item in gpu_items:
        item.add_marker(skip)


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
