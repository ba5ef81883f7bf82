"""Argument checks shared by several modules (private: not part of the API)."""
from __future__ import annotations

import math

import numpy as np


def number(name: str, value, owner: str, *, positive: bool = False) -> float:
    """``value`` as a float if it is a finite real number >= 0 (> 0 with ``positive``).

    Raises a TypeError for a non-number (``bool`` included) and a ValueError otherwise, both
    starting ``"{owner}: {name} must be ..."``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and (value > 0.0 if positive else value >= 0.0)):
        raise ValueError(f"{owner}: {name} must be a finite number {'> 0' if positive else '>= 0'}, "
                         f"got {value!r}")
    return value


def count(name: str, value, owner: str | None = None, *, minimum: int = 1) -> int:
    """``value`` as an int if it is an integer (not a ``bool``) >= ``minimum``; else a ValueError.

    The message reads ``"{owner}: {name} must be an integer >= {minimum}, got ..."`` (without
    the ``owner`` prefix when it is ``None``).
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        prefix = f"{owner}: " if owner else ""
        raise ValueError(f"{prefix}{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def lookup(kind: str, name, known, aliases: dict, instance_of: str) -> str:
    """The canonical key for a user-given name: ``"Leaky-ReLU"`` → ``"leaky_relu"``.

    Lower-cases, turns ``-`` and spaces into ``_``, resolves ``aliases``, and raises a
    TypeError for a non-string (``instance_of`` names the class also accepted) or a
    ValueError listing the ``known`` names.
    """
    if not isinstance(name, str):
        raise TypeError(f"{kind} must be a name (str) or {instance_of}, got {type(name).__name__}")
    key = name.lower().replace("-", "_").replace(" ", "_")
    key = aliases.get(key, key)
    if key not in known:
        raise ValueError(f"unknown {kind} {name!r}; known: {', '.join(known)}")
    return key


def real(name: str, value, owner: str) -> float:
    """``value`` as a float if it is a finite real number of either sign (not a ``bool``).

    Raises a TypeError for a non-number and a ValueError for NaN or infinity, both starting
    ``"{owner}: {name} must be ..."``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    return value


def flag(name: str, value, owner: str) -> bool:
    """``value`` as a bool if it is ``True``/``False`` (or a NumPy bool); else a TypeError.

    Strings such as ``"no"`` are refused rather than read as ``True`` (every non-empty string
    is truthy).  The message reads ``"{owner}: {name} must be True or False, got ..."``.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r} "
                        f"({type(value).__name__})")
    return bool(value)


def float_dtype(dtype, owner: str, name: str = "dtype") -> np.dtype:
    """``dtype`` as a NumPy dtype if it is float32 or float64; else a ValueError (or TypeError).

    float16 is refused: its range (max 65504) and precision (3 decimal digits) break the
    losses, the optimizers (Adam's :math:`v` underflows) and gradient checking.
    """
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{owner}: {name} must be a floating type (float32 or float64), "
                        f"got {dtype!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{owner}: {name} must be a floating type (float32 or float64), got {dt}"
                         + (" (float16 is too coarse for training here)" if dt == np.float16 else ""))
    return dt
