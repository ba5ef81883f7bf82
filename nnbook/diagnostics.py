r"""The learning-rate range test: train briefly while the learning rate grows, watch the loss.

Starting from the network's current parameters, take one optimizer step per minibatch with a
learning rate that grows geometrically from ``lr_min`` to ``lr_max`` over ``steps`` steps,

.. math:: \eta_k = \eta_{\min} \Big(\frac{\eta_{\max}}{\eta_{\min}}\Big)^{k/(K-1)},
          \qquad k = 0, \dots, K-1,

and record the cost of each batch *before* its step.  The loss first barely moves (the rate
is too small to matter), then falls, then rises and blows up (the rate is too large).  A good
learning rate lies where the loss falls fastest, a little below the rate at which it is
lowest.  This is the learning-rate range test :cite:p:`smith2017cyclical` in the form popularised by
fastai's ``lr_find`` (geometric rates, the loss rather than the accuracy, the steepest descent
as the suggestion; Smith's original grows the rate linearly and reads the accuracy).  The
network's parameters are put back afterwards.

Chapter: *Training diagnostics*.
"""
from __future__ import annotations

import math

import numpy as np

from .data import minibatches
from .initializers import as_generator
from .optimizers import get_optimizer

__all__ = ["lr_range_test"]


def lr_range_test(net, X, Y, lr_min: float = 1e-5, lr_max: float = 10.0, steps: int = 100,
                  batch_size: int | None = 32, optimizer: str = "sgd", stop_factor: float = 4.0,
                  seed=0) -> dict:
    r"""Loss against a geometrically growing learning rate; the network is left unchanged.

    .. math:: \eta_k = \eta_{\min} (\eta_{\max}/\eta_{\min})^{k/(K-1)}

    Parameters
    ----------
    net : Network
        Trained for at most ``steps`` steps, then restored to its parameters on entry.
    X, Y : array
        Training data, ``(n_0, m)`` and ``(n_L, m)`` or labels ``(m,)`` (checked as
        :func:`~nnbook.training.fit` checks it).
    lr_min, lr_max : float
        The first and last learning rate, ``0 < lr_min < lr_max``.
    steps : int
        Number of steps :math:`K`, one minibatch each (the data is reshuffled when used up).
    batch_size : int or None
        Minibatch size; ``None`` is full batch.
    optimizer : str
        An optimizer name for :func:`~nnbook.optimizers.get_optimizer` (fresh state).
    stop_factor : float
        Stop early once the loss exceeds ``stop_factor`` times the lowest loss so far, or is
        not finite (the rest of the range only diverges further).
    seed : int or numpy.random.Generator
        Shuffling of the minibatches.

    Returns
    -------
    dict
        ``"lr"`` and ``"loss"``: arrays of the rates tried and the batch costs before each
        step (as long as the test ran); ``"best_lr"``: the rate with the lowest loss;
        ``"steepest_lr"``: the rate where the loss, smoothed over 5 steps, falls fastest
        per factor of the rate, searched only up to the smoothed loss's minimum (so a
        fall past the minimum is never picked).

    Shapes: ``X`` ``(n_0, m)``, ``Y`` ``(n_L, m)``.
    Chapter: *Training diagnostics*.
    """
    from .training import _prepare  # the same data checks as fit

    for name, value in (("lr_min", lr_min), ("lr_max", lr_max)):
        if not (isinstance(value, (int, float, np.number)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if not lr_min < lr_max:
        raise ValueError(f"lr_min must be smaller than lr_max, got {lr_min!r} and {lr_max!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    if not (isinstance(stop_factor, (int, float, np.number)) and stop_factor > 1):
        raise ValueError(f"stop_factor must be a number > 1, got {stop_factor!r}")
    X, Y = _prepare(net, X, Y)
    rates = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    opt = get_optimizer(optimizer, lr=float(rates[0]))
    rng = as_generator(seed)
    theta0 = net.theta.copy()
    lrs, losses, best = [], [], math.inf
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            batches = iter(())
            for lr in rates:
                try:
                    Xb, Yb = next(batches)
                except StopIteration:
                    batches = iter(minibatches(X, Y, batch_size, seed=rng))
                    Xb, Yb = next(batches)
                net.forward(Xb, training=True)
                J = float(net.cost(Yb))
                lrs.append(float(lr))
                losses.append(J)
                if not math.isfinite(J) or J > stop_factor * best:
                    break
                best = min(best, J)
                net.backward(Yb)
                opt.lr = float(lr)
                opt.step(net.theta, net.grad)
    finally:
        net.theta[...] = theta0
    lrs, losses = np.asarray(lrs), np.asarray(losses)
    best_lr, steepest_lr = _suggestions(lrs, losses)
    return {"lr": lrs, "loss": losses, "best_lr": best_lr, "steepest_lr": steepest_lr}


def _suggestions(lrs, losses, k: int = 5):
    """``(best_lr, steepest_lr)`` of a range-test curve (host arrays of equal length).

    The loss is smoothed by a running mean over ``k`` steps (attributed to the window's last
    rate) and the steepest fall per factor of the rate is searched only on the falling part,
    up to the smoothed minimum; a fall past the minimum (noise on the way up) is ignored.
    """
    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    finite = np.isfinite(losses)
    best_lr = float(lrs[finite][np.argmin(losses[finite])])
    k = min(k, len(losses))
    smooth = np.convolve(np.where(finite, losses, np.nan), np.ones(k) / k, mode="valid")
    upto = int(np.nanargmin(smooth)) + 1 if np.isfinite(smooth).any() else len(smooth)
    if upto > 1:
        slope = np.diff(smooth[:upto]) / np.diff(np.log(lrs[k - 1:][:upto]))
    else:
        slope = np.array([np.nan])
    steepest_lr = float(lrs[k - 1:][1:][np.nanargmin(slope)]) if np.isfinite(slope).any() else best_lr
    return best_lr, steepest_lr
