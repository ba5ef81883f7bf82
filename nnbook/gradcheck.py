r"""Gradient checking: centred finite differences against backpropagation.

.. math:: \frac{\partial J}{\partial \theta_k} \approx
          \frac{J(\theta + \varepsilon e_k) - J(\theta - \varepsilon e_k)}{2\varepsilon},
          \qquad \text{error } O(\varepsilon^2)

compared through the relative error

.. math:: r = \frac{\lVert a - n \rVert_2}{\max(\lVert a \rVert_2 + \lVert n \rVert_2,\ \text{tiny})}

which is about :math:`10^{-7}` or less for a correct gradient in float64 with
:math:`\varepsilon = 10^{-6}` (truncation error :math:`\sim\varepsilon^2`, rounding error
:math:`\sim 10^{-16}/\varepsilon`), and of order 1 for a wrong one.

The book teaches this in the chapter *Backpropagation*.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .backend import to_numpy

__all__ = ["numerical_gradient", "relative_error", "check_gradient", "check_network_gradients"]

_TINY = 1e-300


def relative_error(a, n) -> float:
    r"""Relative error :math:`\lVert a-n\rVert_2 / \max(\lVert a\rVert_2+\lVert n\rVert_2, \text{tiny})`.

    0 when both are zero; 1 when one is zero and the other is not.
    Shapes: ``a`` and ``n`` of the same shape (any).  Chapter: *Backpropagation*.
    """
    a = to_numpy(a).astype(np.float64).ravel()
    n = to_numpy(n).astype(np.float64).ravel()
    if a.shape != n.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {n.shape}")
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), _TINY))


def numerical_gradient(f: Callable[[], float], x, eps: float = 1e-6):
    r"""Centred-difference gradient of a scalar function with respect to the array ``x``.

    ``f`` takes no argument and reads ``x`` (which is perturbed in place, one entry at a time,
    and restored exactly), so it can check any parameter of any model:
    ``numerical_gradient(lambda: net.loss_and_grad(X, Y), net.layers[0].W)``.

    .. math:: g_k = \frac{f(x + \varepsilon e_k) - f(x - \varepsilon e_k)}{2 \varepsilon}

    Shapes: returns a float64 NumPy array of ``x.shape``.  Chapter: *Backpropagation*.
    """
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    if x.dtype != np.float64:
        raise TypeError(
            f"numerical_gradient needs float64 parameters (got {x.dtype}): in float32 the "
            "rounding error of the difference quotient swamps the gradient"
        )
    grad = np.zeros(x.shape)
    if not x.flags.c_contiguous:
        raise ValueError("numerical_gradient needs a C-contiguous array it can perturb in place")
    flat = x.reshape(-1)  # a view: writing to it perturbs x
    for k in range(flat.size):
        old = flat[k].item()
        flat[k] = old + eps
        f_plus = float(f())
        flat[k] = old - eps
        f_minus = float(f())
        flat[k] = old
        grad.flat[k] = (f_plus - f_minus) / (2 * eps)
    return grad


def check_gradient(f: Callable, grad_f: Callable, x, eps: float = 1e-6) -> float:
    r"""Relative error between an analytic gradient ``grad_f(x)`` and the numerical gradient of ``f`` at ``x``.

    ``f(x)`` returns a scalar (e.g. ``lambda z: float(np.sum(sigmoid(z)))``) and ``grad_f(x)``
    its gradient with the shape of ``x`` (another shape, even with the same entries
    flattened, is an error).  ``x`` is not modified.
    Chapter: *Backpropagation*.
    """
    x = np.array(to_numpy(x), dtype=np.float64)  # private copy
    analytic = to_numpy(grad_f(x.copy()))
    if getattr(analytic, "shape", None) != x.shape:
        hint = " (flattened or reshaped?)" if np.size(analytic) == x.size else ""
        raise ValueError(
            f"check_gradient: grad_f(x) must have the shape of x, {x.shape}, got "
            f"{getattr(analytic, 'shape', type(analytic).__name__)}{hint}: entry k of the "
            "gradient is the derivative with respect to entry k of x"
        )
    numeric = numerical_gradient(lambda: f(x), x, eps)
    return relative_error(analytic, numeric)


def check_network_gradients(net, X, Y, eps: float = 1e-6, training: bool = False) -> dict[str, float]:
    r"""Relative error of backpropagation against centred differences for every parameter of ``net``.

    Runs :meth:`Network.loss_and_grad` once for the analytic gradients, then perturbs every
    entry of every ``W`` and ``b`` (and ``gamma``, ``beta`` of batch-normalized layers).  Use
    small networks and batches: it costs :math:`2P` forward passes for :math:`P` parameters.
    ``training=True`` checks the training-mode passes (batch statistics in
    :class:`~nnbook.layers.BatchNorm`); it needs a network without dropout, whose masks would
    change from pass to pass (it also moves the running statistics).
    Chapter: *Backpropagation*.

    Returns
    -------
    dict
        ``{"W1": r, "b1": r, ...}``; ``max(result.values())`` should be below ``1e-7``
        for smooth activations in float64.
    """
    if training and any(getattr(layer, "dropout", 0.0) for layer in net.layers):
        raise ValueError("check_network_gradients(training=True) needs a network without "
                         "dropout: every pass would draw a new mask")
    net.loss_and_grad(X, Y, training=training)
    analytic = {name: to_numpy(g).copy() for name, _, g in net.named_parameters()}

    def cost():
        net.forward(X, training=training)
        return net.cost(Y)

    return {
        name: relative_error(analytic[name], numerical_gradient(cost, p, eps))
        for name, p, _ in net.named_parameters()
    }
