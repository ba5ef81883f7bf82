r"""Loss functions: the cost :math:`J` and its gradient, averaged over the batch.

Every loss takes predictions and targets of the same shape ``(n_L, m)`` (samples in
columns) and returns the cost

.. math:: J = \frac{1}{m} \sum_{i=1}^{m} L\big(\hat{\mathbf y}^{(i)}, \mathbf y^{(i)}\big),

where the per-sample loss :math:`L` sums over the :math:`n_L` output units.  The matching
``*_grad`` function returns :math:`\partial J / \partial \hat Y` (or :math:`\partial J/\partial Z`
for the losses on logits), **already divided by m**, so layers never divide again.

Cross-entropies come in two forms: on probabilities (``binary_cross_entropy``,
``categorical_cross_entropy``), which clip their input away from 0 and 1 so the logarithm
stays finite, and on logits (``*_with_logits``, ``softmax_cross_entropy``), which are exact
and stable for any finite input and are what :class:`nnbook.Network` uses for a sigmoid or
softmax output layer.

The book teaches these in the chapter *Loss functions*.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from .activations import sigmoid, softmax
from .backend import get_array_module
from ._validation import lookup

__all__ = [
    "mse", "mse_grad", "mae", "mae_grad", "huber", "huber_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad",
    "categorical_cross_entropy", "categorical_cross_entropy_grad",
    "softmax_cross_entropy", "softmax_cross_entropy_grad",
    "logsumexp", "Loss", "get_loss", "LOSS_NAMES",
]


def _check(name: str, Y_hat, Y):
    """Both arguments as arrays of one backend, same shape, finite targets; returns (xp, Y_hat, Y, m)."""
    xp = get_array_module(Y_hat, Y)
    Y_hat, Y = xp.asarray(Y_hat), xp.asarray(Y)
    if Y_hat.shape != Y.shape:
        hint = ""
        if Y_hat.ndim == 2 and Y.ndim == 2 and Y_hat.shape == Y.shape[::-1]:
            hint = ": are samples in columns? Y should be (n_L, m)"
        elif Y.ndim == 1 and Y_hat.ndim == 2 and Y_hat.shape[1] == Y.shape[0]:
            hint = ": reshape the targets to (n_L, m), e.g. Y.reshape(1, -1), or one-hot encode them"
        raise ValueError(
            f"{name}: predictions have shape {Y_hat.shape} but targets have shape {Y.shape}{hint}"
        )
    if Y_hat.ndim == 0:
        raise ValueError(f"{name}: expected arrays of shape (n_L, m), got scalars")
    if not bool(xp.isfinite(Y).all()):
        raise ValueError(f"{name}: targets contain NaN or infinity")
    m = Y.shape[-1] if Y.ndim > 1 else Y.shape[0]
    return xp, Y_hat, Y, m


def _dtype_eps(xp, A):
    return float(xp.finfo(A.dtype).eps) if xp.issubdtype(A.dtype, xp.floating) else 1e-15


# --- regression -------------------------------------------------------------------------
def mse(Y_hat, Y, half: bool = False):
    r"""Mean squared error.

    .. math:: J = \frac{c}{m} \sum_{i=1}^{m} \big\lVert \hat{\mathbf y}^{(i)} - \mathbf y^{(i)} \big\rVert^2,
              \qquad c = \tfrac12 \text{ if half else } 1

    The sources write it both with and without the :math:`\tfrac12`; the ½ only rescales the
    gradient (and so the learning rate) by 2.

    Shapes: ``Y_hat`` and ``Y`` are ``(n_L, m)``; returns a float.  Chapter: *Loss functions*.
    """
    xp, Y_hat, Y, m = _check("mse", Y_hat, Y)
    R = Y_hat - Y
    return (0.5 if half else 1.0) * float((R * R).sum()) / m


def mse_grad(Y_hat, Y, half: bool = False):
    r"""Gradient of :func:`mse`: :math:`\partial J / \partial \hat Y = \frac{2c}{m}(\hat Y - Y)`.

    Shapes: ``Y_hat`` and ``Y`` are ``(n_L, m)``; returns ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, Y_hat, Y, m = _check("mse", Y_hat, Y)
    return ((1.0 if half else 2.0) / m) * (Y_hat - Y)


def mae(Y_hat, Y):
    r"""Mean absolute error: :math:`J = \frac1m \sum_i \lVert \hat{\mathbf y}^{(i)} - \mathbf y^{(i)} \rVert_1`.

    Shapes: ``Y_hat`` and ``Y`` are ``(n_L, m)``; returns a float.  Chapter: *Loss functions*.
    """
    xp, Y_hat, Y, m = _check("mae", Y_hat, Y)
    return float(xp.abs(Y_hat - Y).sum()) / m


def mae_grad(Y_hat, Y):
    r"""Gradient of :func:`mae`: :math:`\frac1m \operatorname{sign}(\hat Y - Y)` (0 where they are equal).

    Shapes: ``Y_hat`` and ``Y`` are ``(n_L, m)``; returns ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, Y_hat, Y, m = _check("mae", Y_hat, Y)
    return xp.sign(Y_hat - Y) / m


def huber(Y_hat, Y, delta: float = 1.0):
    r"""Huber loss :cite:p:`huber1964robust`: quadratic near 0, linear beyond :math:`\delta`.

    .. math:: J = \frac1m \sum_{i,k} h_\delta(r_{ki}), \quad
              h_\delta(r) = \begin{cases} \tfrac12 r^2 & |r| \le \delta \\
              \delta\,(|r| - \tfrac12\delta) & |r| > \delta \end{cases}, \quad r = \hat y - y

    Shapes: ``Y_hat`` and ``Y`` are ``(n_L, m)``; returns a float.  Chapter: *Loss functions*.
    """
    if not delta > 0:
        raise ValueError(f"huber: delta must be positive, got {delta}")
    xp, Y_hat, Y, m = _check("huber", Y_hat, Y)
    a = xp.abs(Y_hat - Y)
    return float(xp.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta)).sum()) / m


def huber_grad(Y_hat, Y, delta: float = 1.0):
    r"""Gradient of :func:`huber`: :math:`\frac1m \operatorname{clip}(\hat Y - Y, -\delta, \delta)`.

    Shapes: ``Y_hat`` and ``Y`` are ``(n_L, m)``; returns ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    if not delta > 0:
        raise ValueError(f"huber: delta must be positive, got {delta}")
    xp, Y_hat, Y, m = _check("huber", Y_hat, Y)
    return xp.clip(Y_hat - Y, -delta, delta) / m


# --- binary classification --------------------------------------------------------------
def binary_cross_entropy(A, Y):
    r"""Binary cross-entropy on probabilities :math:`A = \hat Y \in [0, 1]`.

    .. math:: J = -\frac1m \sum_{i,k} \big[ y \log a + (1 - y) \log(1 - a) \big]

    ``A`` is clipped to :math:`[\varepsilon, 1-\varepsilon]` (:math:`\varepsilon` the machine
    epsilon of its dtype) so that :math:`\log 0` never happens.  Prefer
    :func:`binary_cross_entropy_with_logits` when the logits are at hand.

    Shapes: ``A`` and ``Y`` are ``(n_L, m)``; returns a float.  Chapter: *Loss functions*.
    """
    xp, A, Y, m = _check("binary_cross_entropy", A, Y)
    eps = _dtype_eps(xp, A)
    A = xp.clip(A, eps, 1.0 - eps)
    return -float((Y * xp.log(A) + (1.0 - Y) * xp.log1p(-A)).sum()) / m


def binary_cross_entropy_grad(A, Y):
    r"""Gradient of :func:`binary_cross_entropy`: :math:`\frac1m \frac{A - Y}{A(1 - A)}` (with ``A`` clipped).

    Shapes: ``A`` and ``Y`` are ``(n_L, m)``; returns ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, A, Y, m = _check("binary_cross_entropy", A, Y)
    eps = _dtype_eps(xp, A)
    A = xp.clip(A, eps, 1.0 - eps)
    return (A - Y) / (A * (1.0 - A)) / m


def binary_cross_entropy_with_logits(Z, Y):
    r"""Binary cross-entropy of :math:`\sigma(Z)`, computed from the logits ``Z`` exactly.

    .. math:: L(z, y) &= -y\log\sigma(z) - (1-y)\log(1-\sigma(z)) \\
                      &= \max(z, 0) - z y + \log\!\big(1 + e^{-|z|}\big)

    The second form never exponentiates a positive number, so it is finite for every
    finite ``Z`` (for :math:`|z| = 10^4` it returns the exact :math:`10^4` or 0).

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; returns a float.  Chapter: *Loss functions*.
    """
    xp, Z, Y, m = _check("binary_cross_entropy_with_logits", Z, Y)
    return float((xp.maximum(Z, 0) - Z * Y + xp.log1p(xp.exp(-xp.abs(Z)))).sum()) / m


def binary_cross_entropy_with_logits_grad(Z, Y):
    r"""Gradient of :func:`binary_cross_entropy_with_logits`: :math:`\partial J/\partial Z = \frac1m(\sigma(Z) - Y)`.

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; returns ``dZ`` ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, Z, Y, m = _check("binary_cross_entropy_with_logits", Z, Y)
    return (sigmoid(Z) - Y) / m


# --- multi-class classification ---------------------------------------------------------
def logsumexp(Z, axis: int = 0):
    r"""Stable :math:`\log \sum_k e^{z_k}` over ``axis``: :math:`c + \log\sum_k e^{z_k - c}`, :math:`c = \max_k z_k`.

    Shapes: ``Z`` is ``(n_L, m)``; returns ``(1, m)``.  Chapter: *Loss functions*.
    """
    xp = get_array_module(Z)
    c = Z.max(axis=axis, keepdims=True)
    return c + xp.log(xp.exp(Z - c).sum(axis=axis, keepdims=True))


def categorical_cross_entropy(A, Y):
    r"""Categorical cross-entropy on probabilities (columns of ``A`` sum to 1).

    .. math:: J = -\frac1m \sum_{i=1}^{m} \sum_{k=1}^{n_L} y_k^{(i)} \log a_k^{(i)}

    (The source that writes :math:`\sum y \log \hat y` without the minus sign has a slip: that
    is the log-likelihood, which training maximizes; the loss is its negative.)
    ``A`` is clipped below at the machine epsilon so that :math:`\log 0` never happens.

    Shapes: ``A`` and ``Y`` (one-hot or probabilities) are ``(n_L, m)``; returns a float.
    Chapter: *Loss functions*.
    """
    xp, A, Y, m = _check("categorical_cross_entropy", A, Y)
    return -float((Y * xp.log(xp.clip(A, _dtype_eps(xp, A), 1.0))).sum()) / m


def categorical_cross_entropy_grad(A, Y):
    r"""Gradient of :func:`categorical_cross_entropy`: :math:`-\frac1m\, Y \oslash A` (with ``A`` clipped).

    Shapes: ``A`` and ``Y`` are ``(n_L, m)``; returns ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, A, Y, m = _check("categorical_cross_entropy", A, Y)
    return -Y / xp.clip(A, _dtype_eps(xp, A), 1.0) / m


def softmax_cross_entropy(Z, Y):
    r"""Categorical cross-entropy of :math:`\mathrm{softmax}(Z)`, fused and stable.

    .. math:: L(\mathbf z, \mathbf y) = -\sum_k y_k \log \mathrm{softmax}(\mathbf z)_k
              = \Big(\sum_k y_k\Big) \operatorname{logsumexp}(\mathbf z) - \mathbf y^\top \mathbf z

    Shapes: ``Z`` (logits) and ``Y`` (one-hot or probabilities) are ``(n_L, m)``; returns a
    float.  Chapter: *Loss functions*.
    """
    xp, Z, Y, m = _check("softmax_cross_entropy", Z, Y)
    return float((Y.sum(axis=0, keepdims=True) * logsumexp(Z) - (Y * Z).sum(axis=0)).sum()) / m


def softmax_cross_entropy_grad(Z, Y):
    r"""Gradient of :func:`softmax_cross_entropy`: :math:`\partial J/\partial Z = \frac1m(\mathrm{softmax}(Z) - Y)`.

    (Exactly so when each column of ``Y`` sums to 1; in general
    :math:`\frac1m(\mathrm{softmax}(Z)\,\mathbf 1^\top Y - Y)`, which is what is computed.)

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; returns ``dZ`` ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, Z, Y, m = _check("softmax_cross_entropy", Z, Y)
    return (softmax(Z) * Y.sum(axis=0, keepdims=True) - Y) / m


# --- lookup by name ---------------------------------------------------------------------
@dataclass(frozen=True)
class Loss:
    """A loss by name: ``value(Y_hat, Y) -> float`` and ``grad(Y_hat, Y) -> array``.

    ``on_logits`` is ``True`` for the losses that take pre-activations ``Z`` rather than
    probabilities.
    """

    name: str
    value: Callable
    grad: Callable
    on_logits: bool = False

    def __call__(self, Y_hat, Y):
        return self.value(Y_hat, Y)


_LOSSES = {
    "mse": (mse, mse_grad, False),
    "mae": (mae, mae_grad, False),
    "huber": (huber, huber_grad, False),
    "binary_cross_entropy": (binary_cross_entropy, binary_cross_entropy_grad, False),
    "binary_cross_entropy_with_logits": (
        binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad, True),
    "categorical_cross_entropy": (categorical_cross_entropy, categorical_cross_entropy_grad, False),
    "softmax_cross_entropy": (softmax_cross_entropy, softmax_cross_entropy_grad, True),
}
_LOSS_ALIASES = {
    "bce": "binary_cross_entropy", "bce_logits": "binary_cross_entropy_with_logits",
    "cce": "categorical_cross_entropy", "cross_entropy": "categorical_cross_entropy",
    "softmax_cce": "softmax_cross_entropy", "l2": "mse", "l1": "mae",
}
LOSS_NAMES = tuple(_LOSSES)


def get_loss(name: str | Loss, **kwargs) -> Loss:
    """Look a loss up by name (``"mse"``, ``"bce"``, ``"softmax_cross_entropy"``, ...).

    Keyword arguments (``half=True`` for MSE, ``delta=`` for Huber) are bound into the loss.

    Raises
    ------
    ValueError
        Unknown name; the message lists the known ones.
    """
    if isinstance(name, Loss):
        return name
    key = lookup("loss", name, LOSS_NAMES + tuple(_LOSS_ALIASES), _LOSS_ALIASES, "a Loss")
    value, grad, on_logits = _LOSSES[key]
    if kwargs:
        value, grad = partial(value, **kwargs), partial(grad, **kwargs)
    return Loss(key, value, grad, on_logits)
