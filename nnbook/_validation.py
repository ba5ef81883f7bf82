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
