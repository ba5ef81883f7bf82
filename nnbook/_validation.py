"""Argument checks shared by several modules (private: not part of the API)."""
from __future__ import annotations

import math

import numpy as np


def nonnegative(name: str, value, owner: str) -> float:
    """``value`` as a float if it is a finite real number >= 0; else a TypeError/ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return value
