r"""Weight initializers.

Every initializer takes the shape of a weight matrix ``(n_l, n_{l-1})`` = ``(fan_out,
fan_in)`` and a random source ``rng`` (a NumPy ``Generator`` or an integer seed) and returns
a float64 NumPy array; :class:`nnbook.Dense` casts it to its dtype and moves it to its
device.  Drawing on the host with a ``Generator`` is what makes a seed give the same
weights on NumPy and on CuPy.

The sources state Xavier and He initialization with :math:`\mathcal N(0, \sqrt{\cdot})`,
which reads as a *standard deviation* (the notation :math:`\mathcal N(\mu, \sigma^2)` would
make it a variance).  Here the scales are standard deviations throughout:

- ``xavier_normal``: :math:`\mathcal N(0, s^2)` with :math:`s = \sqrt{2/(n_{in}+n_{out})}`;
- ``xavier_uniform``: :math:`U(-r, r)` with :math:`r = \sqrt{6/(n_{in}+n_{out})}` (same variance);
- ``he_normal``: :math:`\mathcal N(0, s^2)` with :math:`s = \sqrt{2/n_{in}}`;
- ``he_uniform``: :math:`U(-r, r)` with :math:`r = \sqrt{6/n_{in}}` (same variance);
- ``lecun_normal``: :math:`\mathcal N(0, s^2)` with :math:`s = \sqrt{1/n_{in}}`;
- ``lecun_uniform``: :math:`U(-r, r)` with :math:`r = \sqrt{3/n_{in}}` (same variance).

The book teaches these in the chapter *Initialization and normalization*.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

__all__ = [
    "as_generator", "zeros", "constant", "normal", "uniform",
    "xavier_normal", "xavier_uniform", "he_normal", "he_uniform",
    "lecun_normal", "lecun_uniform", "get_initializer", "INITIALIZER_NAMES",
]


def as_generator(rng=None) -> np.random.Generator:
    """A NumPy ``Generator`` from a seed (int), an existing ``Generator``, or ``None`` (seed 0).

    ``None`` means seed 0, not "random": every ``nnbook`` result is reproducible unless a
    caller asks otherwise by passing its own ``Generator``.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"seed must be an integer >= 0 or a numpy.random.Generator, got {rng!r}")
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be an int seed or a numpy.random.Generator, got {type(rng).__name__}")


def _fans(shape) -> tuple[int, int]:
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"a weight shape is (n_out, n_in) with both >= 1, got {shape}")
    fan_out, fan_in = shape
    return fan_in, fan_out


def zeros(shape, rng=None):
    r"""All zeros. Fine for biases; for weights it leaves every unit of a layer identical
    (the symmetry problem), so they all receive the same gradient and stay identical.

    Shapes: returns ``shape``.  Chapter: *Initialization and normalization*.
    """
    return np.zeros(shape)


def constant(shape, rng=None, value: float = 0.0):
    r"""Every entry equal to ``value``; has the same symmetry problem as :func:`zeros`.

    Shapes: returns ``shape``.  Chapter: *Initialization and normalization*.
    """
    return np.full(shape, float(value))


def normal(shape, rng=None, std: float = 0.01):
    r"""Independent :math:`\mathcal N(0, \mathrm{std}^2)` entries (the sources' "small random numbers").

    Shapes: returns ``shape``.  Chapter: *Initialization and normalization*.
    """
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std}")
    return as_generator(rng).normal(0.0, std, size=shape)


def uniform(shape, rng=None, limit: float = 0.05):
    r"""Independent :math:`U(-\mathrm{limit}, \mathrm{limit})` entries.

    Shapes: returns ``shape``.  Chapter: *Initialization and normalization*.
    """
    if not limit >= 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    return as_generator(rng).uniform(-limit, limit, size=shape)


def xavier_normal(shape, rng=None):
    r"""Xavier/Glorot normal :cite:p:`glorot2010understanding`: :math:`\mathcal N\big(0, \tfrac{2}{n_{in}+n_{out}}\big)`.

    .. math:: W_{ij} \sim \mathcal N(0, s^2), \qquad s = \sqrt{\frac{2}{n_{l-1} + n_l}}

    Keeps the variance of activations and of back-propagated gradients roughly constant
    across layers for tanh/sigmoid-like units.  Shapes: ``(n_l, n_{l-1})``.
    Chapter: *Initialization and normalization*.
    """
    fan_in, fan_out = _fans(shape)
    return as_generator(rng).normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def xavier_uniform(shape, rng=None):
    r"""Xavier/Glorot uniform :cite:p:`glorot2010understanding`: same variance as :func:`xavier_normal`.

    .. math:: W_{ij} \sim U(-r, r), \qquad r = \sqrt{\frac{6}{n_{l-1} + n_l}}

    Shapes: ``(n_l, n_{l-1})``.  Chapter: *Initialization and normalization*.
    """
    fan_in, fan_out = _fans(shape)
    r = math.sqrt(6.0 / (fan_in + fan_out))
    return as_generator(rng).uniform(-r, r, size=shape)


def he_normal(shape, rng=None):
    r"""He/Kaiming normal :cite:p:`he2015delving`, for ReLU layers.

    .. math:: W_{ij} \sim \mathcal N(0, s^2), \qquad s = \sqrt{\frac{2}{n_{l-1}}}

    The factor 2 makes up for ReLU zeroing half of its inputs.  Shapes: ``(n_l, n_{l-1})``.
    Chapter: *Initialization and normalization*.
    """
    fan_in, _ = _fans(shape)
    return as_generator(rng).normal(0.0, math.sqrt(2.0 / fan_in), size=shape)


def he_uniform(shape, rng=None):
    r"""He/Kaiming uniform :cite:p:`he2015delving`: same variance as :func:`he_normal`.

    .. math:: W_{ij} \sim U(-r, r), \qquad r = \sqrt{\frac{6}{n_{l-1}}}

    Shapes: ``(n_l, n_{l-1})``.  Chapter: *Initialization and normalization*.
    """
    fan_in, _ = _fans(shape)
    r = math.sqrt(6.0 / fan_in)
    return as_generator(rng).uniform(-r, r, size=shape)


def lecun_normal(shape, rng=None):
    r"""LeCun normal :cite:p:`lecun1998efficient`: variance :math:`1/n_{in}`, the fan-in condition alone.

    .. math:: W_{ij} \sim \mathcal N(0, s^2), \qquad s = \sqrt{\frac{1}{n_{l-1}}}

    Keeps the variance of the pre-activations constant through units that are linear near
    0 with slope 1 (tanh); Xavier averages this fan-in condition with the fan-out one.
    Shapes: ``(n_l, n_{l-1})``.  Chapter: *Initialization and normalization*.
    """
    fan_in, _ = _fans(shape)
    return as_generator(rng).normal(0.0, math.sqrt(1.0 / fan_in), size=shape)


def lecun_uniform(shape, rng=None):
    r"""LeCun uniform :cite:p:`lecun1998efficient`: same variance as :func:`lecun_normal`.

    .. math:: W_{ij} \sim U(-r, r), \qquad r = \sqrt{\frac{3}{n_{l-1}}}

    Shapes: ``(n_l, n_{l-1})``.  Chapter: *Initialization and normalization*.
    """
    fan_in, _ = _fans(shape)
    r = math.sqrt(3.0 / fan_in)
    return as_generator(rng).uniform(-r, r, size=shape)


_INITIALIZERS: dict[str, Callable] = {
    "zeros": zeros, "constant": constant, "normal": normal, "uniform": uniform,
    "xavier_normal": xavier_normal, "xavier_uniform": xavier_uniform,
    "he_normal": he_normal, "he_uniform": he_uniform,
    "lecun_normal": lecun_normal, "lecun_uniform": lecun_uniform,
}
_INIT_ALIASES = {
    "glorot_normal": "xavier_normal", "glorot_uniform": "xavier_uniform", "xavier": "xavier_normal",
    "glorot": "xavier_normal", "he": "he_normal", "kaiming_normal": "he_normal",
    "kaiming_uniform": "he_uniform", "zero": "zeros",
}
INITIALIZER_NAMES = tuple(_INITIALIZERS)


def get_initializer(name: str | Callable) -> Callable:
    """Look an initializer up by name (``"he_normal"``, ``"xavier_uniform"``, ...); pass a callable through.

    Raises
    ------
    ValueError
        Unknown name; the message lists the known ones.
    """
    if callable(name):
        return name
    key = str(name).lower().replace("-", "_")
    key = _INIT_ALIASES.get(key, key)
    if key not in _INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; known: {', '.join(INITIALIZER_NAMES)}")
    return _INITIALIZERS[key]


def default_initializer(activation_name: str) -> str:
    """He normal for the ReLU family, Xavier normal for everything else."""
    return "he_normal" if activation_name in ("relu", "leaky_relu") else "xavier_normal"
