r"""Learning-rate schedules: :math:`\eta_t` as a function of the epoch (or step) index :math:`t = 0, 1, 2, \dots`

A schedule is a callable ``schedule(t) -> lr``.  The training loop asks it once per epoch
(or per step) and hands the answer to the optimizer::

    schedule = nb.schedules.cosine_annealing(0.1, T=50, warmup=5)
    for epoch in range(50):
        opt.lr = schedule(epoch)
        ...

``t`` may also be an array of indices (handy for plotting a schedule); the result is then
an array of learning rates.  Schedules hold no state: calling one twice with the same
``t`` gives the same answer.

The book teaches these in the chapter *Gradient descent and its variants*.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._validation import count as _count
from ._validation import number as _number

__all__ = ["Schedule", "constant", "step_decay", "exponential_decay", "cosine_annealing"]


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: ``schedule(t)`` returns :math:`\\eta_t` (a float, or an array for an array ``t``).

    Made by :func:`constant`, :func:`step_decay`, :func:`exponential_decay` and
    :func:`cosine_annealing`; ``name`` and ``params`` are for display.
    """

    name: str
    fn: Callable = field(repr=False)
    params: dict = field(default_factory=dict)

    def __call__(self, t):
        t_arr = np.asarray(t)
        if t_arr.dtype.kind not in "iuf" or not np.all(np.isfinite(t_arr)) or np.any(t_arr < 0):
            raise ValueError(f"{self.name}: t must be an epoch/step index >= 0, got {t!r}")
        lr = self.fn(t_arr.astype(np.float64))
        return float(lr) if lr.ndim == 0 else lr

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"


def constant(lr) -> Schedule:
    r"""The same learning rate at every step.

    .. math:: \eta_t = \eta

    Shapes: ``t`` scalar or array; returns the same shape.
    Chapter: *Gradient descent and its variants*.
    """
    lr = _number("lr", lr, "constant")
    return Schedule("constant", lambda t: np.full_like(t, lr), {"lr": lr})


def step_decay(lr0, drop=0.5, every=10) -> Schedule:
    r"""Multiply the learning rate by ``drop`` every ``every`` epochs.

    .. math:: \eta_t = \eta_0\, d^{\lfloor t / k \rfloor}

    with :math:`d` = ``drop`` and :math:`k` = ``every``.  Example: ``step_decay(0.1, 0.5, 10)``
    gives 0.1 for epochs 0–9, 0.05 for 10–19, 0.025 for 20–29, ...

    Shapes: ``t`` scalar or array; returns the same shape.
    Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    lr0 : float
        Initial learning rate :math:`\eta_0 \ge 0`.
    drop : float
        Factor :math:`d \in (0, 1]` (default 0.5).
    every : int
        Epochs between drops :math:`k \ge 1` (default 10).
    """
    lr0 = _number("lr0", lr0, "step_decay")
    drop = _number("drop", drop, "step_decay", positive=True)
    if drop > 1.0:
        raise ValueError(f"step_decay: drop must be in (0, 1], got {drop!r}")
    every = _count("every", every, "step_decay", minimum=1)
    return Schedule("step_decay", lambda t: lr0 * drop ** np.floor(t / every),
                    {"lr0": lr0, "drop": drop, "every": every})


def exponential_decay(lr0, k) -> Schedule:
    r"""Exponentially decaying learning rate.

    .. math:: \eta_t = \eta_0\, e^{-k t}

    The rate halves every :math:`\ln 2 / k` epochs.

    Shapes: ``t`` scalar or array; returns the same shape.
    Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    lr0 : float
        Initial learning rate :math:`\eta_0 \ge 0`.
    k : float
        Decay rate :math:`k \ge 0` (``k=0`` is a constant schedule).
    """
    lr0 = _number("lr0", lr0, "exponential_decay")
    k = _number("k", k, "exponential_decay")
    return Schedule("exponential_decay", lambda t: lr0 * np.exp(-k * t), {"lr0": lr0, "k": k})


def cosine_annealing(lr0, T, lr_min=0.0, warmup=0) -> Schedule:
    r"""Cosine annealing from ``lr0`` to ``lr_min`` over ``T`` epochs :cite:p:`loshchilov2017sgdr`, after an optional linear warm-up.

    .. math::

       \eta_t = \begin{cases}
         \eta_0\, \dfrac{t+1}{w} & 0 \le t < w \quad\text{(warm-up)}\\[1ex]
         \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})
           \Big(1 + \cos\dfrac{\pi\,(t - w)}{T - w}\Big) & w \le t \le T \\[1ex]
         \eta_{\min} & t > T
       \end{cases}

    with :math:`w` = ``warmup``.  The warm-up climbs linearly from :math:`\eta_0/w` (so the very
    first step already moves; starting from exactly 0 would waste it) to :math:`\eta_0` at
    :math:`t = w - 1`; the cosine then starts at :math:`\eta_0` at :math:`t = w`, passes the
    midpoint :math:`(\eta_0+\eta_{\min})/2` halfway, and reaches :math:`\eta_{\min}` at
    :math:`t = T`, where it stays.  (SGDR restarts the cosine periodically; this is one cycle.)

    Shapes: ``t`` scalar or array; returns the same shape.
    Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    lr0 : float
        Peak learning rate :math:`\eta_0 \ge 0`.
    T : int
        Epoch at which the schedule reaches ``lr_min`` (:math:`T > w`).
    lr_min : float
        Final learning rate, :math:`0 \le \eta_{\min} \le \eta_0` (default 0).
    warmup : int
        Warm-up epochs :math:`w \ge 0` (default 0: no warm-up).
    """
    owner = "cosine_annealing"
    lr0 = _number("lr0", lr0, owner)
    lr_min = _number("lr_min", lr_min, owner)
    if lr_min > lr0:
        raise ValueError(f"{owner}: lr_min must be <= lr0, got lr_min={lr_min!r} > lr0={lr0!r}")
    warmup = _count("warmup", warmup, owner, minimum=0)
    T = _count("T", T, owner, minimum=1)
    if T <= warmup:
        raise ValueError(f"{owner}: T must be larger than warmup, got T={T}, warmup={warmup}")

    def fn(t):
        progress = np.clip((t - warmup) / (T - warmup), 0.0, 1.0)
        cosine = lr_min + 0.5 * (lr0 - lr_min) * (1.0 + np.cos(np.pi * progress))
        if warmup == 0:
            return cosine
        return np.where(t < warmup, lr0 * (t + 1) / warmup, cosine)

    return Schedule(owner, fn, {"lr0": lr0, "T": T, "lr_min": lr_min, "warmup": warmup})
