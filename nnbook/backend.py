"""Array backends: NumPy on the CPU, CuPy on an NVIDIA GPU, one code path for both.

Every function in ``nnbook`` asks its inputs which array module they belong to
(:func:`get_array_module`) and calls that module, so the same lines run on NumPy and on
CuPy.  Random numbers are always drawn on the host with a NumPy ``Generator`` and then moved
with :func:`to_device`, so a seed gives the same numbers on every backend.

The book teaches this in the chapter *Hardware acceleration*.
"""
from __future__ import annotations

import importlib
from types import ModuleType

import numpy as np

__all__ = [
    "BackendError",
    "cupy_or_none",
    "gpu_available",
    "get_array_module",
    "array_module",
    "to_device",
    "to_numpy",
    "device_of",
    "use_gpu_module",
]

_DEVICES = ("cpu", "gpu")
_cupy: ModuleType | None = None
_cupy_checked = False


class BackendError(RuntimeError):
    """A GPU was asked for and none is usable (CuPy missing, no device, or no driver)."""


def cupy_or_none() -> ModuleType | None:
    """Return the ``cupy`` module if it imports, else ``None`` (the answer is cached).

    Importing ``nnbook`` never imports CuPy; this is the only place that tries.
    """
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            _cupy = importlib.import_module("cupy")
        except Exception:  # ImportError, or a broken CUDA install raising at import
            _cupy = None
    return _cupy


def use_gpu_module(module: ModuleType | None) -> ModuleType | None:
    """Use ``module`` as the array module of ``device="gpu"``; returns the one used before.

    The module must offer CuPy's interface (``ndarray``, ``asarray``, ``asnumpy``,
    ``is_available`` and NumPy's functions).  ``None`` goes back to importing ``cupy`` on
    first use.  The test suite uses this to run every GPU code path on the CPU against a
    stand-in for CuPy whose arrays refuse to mix with NumPy's, as CuPy's do; another
    CuPy-compatible library could be plugged in the same way.
    """
    global _cupy, _cupy_checked
    before = _cupy if _cupy_checked else None
    _cupy, _cupy_checked = module, module is not None
    return before


def gpu_available() -> bool:
    """``True`` when CuPy imports and reports a usable CUDA device (``cupy.is_available()``)."""
    cp = cupy_or_none()
    if cp is None:
        return False
    try:
        return bool(cp.is_available())
    except Exception:
        return False


def array_module(device: str = "cpu") -> ModuleType:
    """The array module for a device name: ``numpy`` for ``"cpu"``, ``cupy`` for ``"gpu"``.

    Raises
    ------
    BackendError
        ``device="gpu"`` but CuPy is not installed or sees no usable GPU.
    ValueError
        ``device`` is neither ``"cpu"`` nor ``"gpu"``.
    """
    if device == "cpu":
        return np
    if device == "gpu":
        if cupy_or_none() is None:
            raise BackendError(
                "device='gpu' needs CuPy, which is not installed: "
                "pip install 'nnbook[gpu]' (or the cupy-cudaXXx wheel matching your CUDA), "
                "or use device='cpu'."
            )
        if not gpu_available():
            raise BackendError(
                "device='gpu' asked for, but CuPy sees no usable CUDA GPU "
                "(cupy.is_available() is False): check the driver with nvidia-smi, "
                "or use device='cpu'."
            )
        return cupy_or_none()  # type: ignore[return-value]
    raise ValueError(f"device must be one of {_DEVICES}, got {device!r}")


def get_array_module(*arrays) -> ModuleType:
    """The array module (``numpy`` or ``cupy``) that owns the given arrays.

    Plain Python numbers and NumPy arrays give ``numpy``; if any argument is a CuPy array,
    ``cupy``.  Core code starts with ``xp = get_array_module(Z)`` and then writes
    ``xp.exp(Z)``, so one line serves both backends.
    """
    if _any_cupy_like(arrays):
        return cupy_or_none()
    return np


def _any_cupy_like(arrays) -> bool:
    # Cheap for NumPy arrays and numbers: CuPy is imported only when an argument is of a type
    # from a module named cupy..., or when a GPU module is already loaded (use_gpu_module).
    for a in arrays:
        if isinstance(a, (np.ndarray, np.generic, int, float, complex)) or a is None:
            continue
        gpu = _cupy if _cupy_checked else (
            cupy_or_none() if type(a).__module__.startswith("cupy") else None)
        if gpu is not None and isinstance(a, gpu.ndarray):
            return True
    return False


def device_of(x) -> str:
    """``"gpu"`` for a CuPy array, ``"cpu"`` for anything else."""
    return "gpu" if _any_cupy_like((x,)) else "cpu"


def to_device(x, device: str = "cpu", dtype=None):
    """Move an array to ``device`` (``"cpu"`` or ``"gpu"``), optionally casting to ``dtype``.

    Returns the input itself when it already lives there with that dtype.
    """
    xp = array_module(device)
    if xp is np:
        return to_numpy(x) if dtype is None else to_numpy(x).astype(dtype, copy=False)
    return xp.asarray(x, dtype=dtype)


def to_numpy(x) -> np.ndarray:
    """Return a NumPy array for ``x`` (copying it to the host if it is a CuPy array)."""
    if _any_cupy_like((x,)):
        return x.get()
    return np.asarray(x)
