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

What is checked: every loss checks that predictions and targets have the same shape and
that the batch is not empty; the cross-entropies also check that targets lie in
:math:`[0, 1]`, the ones on probabilities that predictions lie in :math:`[0, 1]`
(``categorical_cross_entropy``: that each column sums to 1, to within :math:`10^{-3}`),
and the categorical ones that the arrays are 2-D ``(n_L, m)``.  Each check is one pass over
the small ``(n_L, m)`` output, cheap next to the forward pass; on logits the predictions
need no value check (any finite ``Z`` is a valid input), and the target check replaces
the finiteness test at no extra cost.  1-D arrays are read as one output unit over ``m`` samples, except by the
categorical losses, which refuse them.

The book teaches these in the chapter *Loss functions*.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Callable

from .activations import sigmoid, softmax
from .backend import get_array_module
from ._validation import flag as _flag
from ._validation import lookup

__all__ = [
    "mse", "mse_grad", "mae", "mae_grad", "huber", "huber_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad",
    "categorical_cross_entropy", "categorical_cross_entropy_grad",
    "softmax_cross_entropy", "softmax_cross_entropy_grad",
    "logsumexp", "Loss", "get_loss", "LOSS_NAMES",
    "weighted_binary_cross_entropy_with_logits", "weighted_binary_cross_entropy_with_logits_grad",
    "weighted_softmax_cross_entropy", "weighted_softmax_cross_entropy_grad",
    "focal_loss_with_logits", "focal_loss_with_logits_grad",
]


_SUM_TOL = 1e-3  # how far a column of probabilities may sum from 1 (see _check)


def _check(name: str, Y_hat, Y, *, columns: bool = False, targets=None, predictions=None):
    r"""Both arguments as arrays of one backend, same shape, finite targets; returns (xp, Y_hat, Y, m).

    Keyword-only checks, for the losses whose inputs have a meaning beyond "numbers":

    - ``columns=True``: the arrays must be 2-D ``(n_L, m)`` (the losses that act on each
      column as a whole: a 1-D input would read the classes as samples);
    - ``targets=(lo, hi)``: every target lies in ``[lo, hi]`` (this replaces the finiteness
      test at no extra cost: NaN and infinity fail it too);
    - ``predictions="probabilities"``: every prediction lies in ``[0, 1]``;
      ``predictions="distributions"``: in addition every column sums to 1 (to within
      ``_SUM_TOL`` = 1e-3: loose enough for float32 rounding and for the perturbations of a
      gradient check, tight enough to catch sigmoid outputs or unnormalised scores).

    Each check is one pass over an ``(n_L, m)`` array, small next to the forward pass that
    produced it (a one-step host sync on a GPU, like the finiteness test).  An empty batch
    (``m = 0``) is refused: its mean is undefined.
    """
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
    if columns and (Y_hat.ndim != 2 or Y.ndim != 2):
        raise ValueError(
            f"{name}: expected predictions and targets of shape (n_L, m) with one sample per "
            f"column, got shapes {Y_hat.shape} and {Y.shape}: a single sample is a column, "
            "reshape it with z.reshape(-1, 1)"
        )
    m = Y.shape[-1] if Y.ndim > 1 else Y.shape[0]
    if Y.size == 0:
        raise ValueError(f"{name}: got an empty batch (shape {Y.shape}): the cost of no samples "
                         "is undefined")
    if targets is None:
        if not bool(xp.isfinite(Y).all()):
            raise ValueError(f"{name}: targets contain NaN or infinity")
    elif not bool(((Y >= targets[0]) & (Y <= targets[1])).all()):
        bad = float(Y[~((Y >= targets[0]) & (Y <= targets[1]))].ravel()[0])
        what = "contain NaN or infinity" if not math.isfinite(bad) else \
            f"must lie in [{targets[0]:g}, {targets[1]:g}] (0/1 labels, one-hot columns or " \
            f"probabilities), got {bad!r}"
        raise ValueError(f"{name}: targets {what}")
    if predictions is not None:
        ok = (Y_hat >= 0) & (Y_hat <= 1)
        if not bool(ok.all()):
            bad = float(Y_hat[~ok].ravel()[0])
            raise ValueError(
                f"{name}: predictions must be probabilities in [0, 1], got {bad!r}: "
                f"pass the output of a sigmoid/softmax, or use "
                f"{'softmax_cross_entropy' if predictions == 'distributions' else 'binary_cross_entropy_with_logits'}"
                " on the logits"
            )
        if predictions == "distributions":
            dev = xp.abs(Y_hat.sum(axis=0) - 1.0)
            if not bool((dev <= _SUM_TOL).all()):
                col = int(xp.argmax(dev))
                raise ValueError(
                    f"{name}: every column of the predictions must be a probability "
                    f"distribution summing to 1, but column {col} sums to "
                    f"{float(Y_hat[:, col].sum())!r}: pass softmax outputs (or use "
                    "softmax_cross_entropy on the logits)"
                )
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
    half = _flag("half", half, "mse")
    xp, Y_hat, Y, m = _check("mse", Y_hat, Y)
    R = Y_hat - Y
    return (0.5 if half else 1.0) * float((R * R).sum()) / m


def mse_grad(Y_hat, Y, half: bool = False):
    r"""Gradient of :func:`mse`: :math:`\partial J / \partial \hat Y = \frac{2c}{m}(\hat Y - Y)`.

    Shapes: ``Y_hat`` and ``Y`` are ``(n_L, m)``; returns ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    half = _flag("half", half, "mse")
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
    xp, A, Y, m = _check("binary_cross_entropy", A, Y, targets=(0, 1), predictions="probabilities")
    eps = _dtype_eps(xp, A)
    A = xp.clip(A, eps, 1.0 - eps)
    return -float((Y * xp.log(A) + (1.0 - Y) * xp.log1p(-A)).sum()) / m


def binary_cross_entropy_grad(A, Y):
    r"""Gradient of :func:`binary_cross_entropy`: :math:`\frac1m \frac{A - Y}{A(1 - A)}` (with ``A`` clipped).

    Shapes: ``A`` and ``Y`` are ``(n_L, m)``; returns ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, A, Y, m = _check("binary_cross_entropy", A, Y, targets=(0, 1), predictions="probabilities")
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
    xp, Z, Y, m = _check("binary_cross_entropy_with_logits", Z, Y, targets=(0, 1))
    return float((xp.maximum(Z, 0) - Z * Y + xp.log1p(xp.exp(-xp.abs(Z)))).sum()) / m


def binary_cross_entropy_with_logits_grad(Z, Y):
    r"""Gradient of :func:`binary_cross_entropy_with_logits`: :math:`\partial J/\partial Z = \frac1m(\sigma(Z) - Y)`.

    Exact for every target :math:`y \in [0, 1]` (hard labels or soft ones): each unit's loss
    is :math:`-y\log\sigma(z) - (1-y)\log(1-\sigma(z))`, whose derivative is
    :math:`-y(1-\sigma) + (1-y)\sigma = \sigma - y`.

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; returns ``dZ`` ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, Z, Y, m = _check("binary_cross_entropy_with_logits", Z, Y, targets=(0, 1))
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
    xp, A, Y, m = _check("categorical_cross_entropy", A, Y, columns=True, targets=(0, 1),
                         predictions="distributions")
    return -float((Y * xp.log(xp.clip(A, _dtype_eps(xp, A), 1.0))).sum()) / m


def categorical_cross_entropy_grad(A, Y):
    r"""Gradient of :func:`categorical_cross_entropy`: :math:`-\frac1m\, Y \oslash A` (with ``A`` clipped).

    Shapes: ``A`` and ``Y`` are ``(n_L, m)``; returns ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, A, Y, m = _check("categorical_cross_entropy", A, Y, columns=True, targets=(0, 1),
                         predictions="distributions")
    return -Y / xp.clip(A, _dtype_eps(xp, A), 1.0) / m


def softmax_cross_entropy(Z, Y):
    r"""Categorical cross-entropy of :math:`\mathrm{softmax}(Z)`, fused and stable.

    .. math:: L(\mathbf z, \mathbf y) = -\sum_k y_k \log \mathrm{softmax}(\mathbf z)_k
              = \Big(\sum_k y_k\Big) \operatorname{logsumexp}(\mathbf z) - \mathbf y^\top \mathbf z

    Shapes: ``Z`` (logits) and ``Y`` (one-hot or probabilities) are ``(n_L, m)``; returns a
    float.  Chapter: *Loss functions*.
    """
    xp, Z, Y, m = _check("softmax_cross_entropy", Z, Y, columns=True, targets=(0, 1))
    return float((Y.sum(axis=0, keepdims=True) * logsumexp(Z) - (Y * Z).sum(axis=0)).sum()) / m


def softmax_cross_entropy_grad(Z, Y):
    r"""Gradient of :func:`softmax_cross_entropy`: :math:`\partial J/\partial Z = \frac1m(\mathrm{softmax}(Z) - Y)`.

    That shortcut is exact only when each column of ``Y`` sums to 1 (one-hot or normalised
    soft targets).  In general the gradient is

    .. math:: \frac{\partial J}{\partial Z} = \frac1m\Big(\mathrm{softmax}(Z)\odot
              \big(\mathbf 1\,\mathbf 1^\top Y\big) - Y\Big),

    column :math:`i` being :math:`\frac1m\big(s^{(i)}\sum_k y_k^{(i)} - y^{(i)}\big)`, which is
    what is computed (multi-hot or unnormalised targets get the right gradient for the cost
    :func:`softmax_cross_entropy` reports).  Targets must lie in :math:`[0, 1]`.

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; returns ``dZ`` ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, Z, Y, m = _check("softmax_cross_entropy", Z, Y, columns=True, targets=(0, 1))
    return (softmax(Z) * Y.sum(axis=0, keepdims=True) - Y) / m


# --- class weights, focal loss (imbalanced classes) --------------------------------------
def _softplus(xp, Z):
    """:math:`\\log(1 + e^{z})` without overflow: :math:`\\max(z, 0) + \\log(1 + e^{-|z|})`."""
    return xp.maximum(Z, 0) + xp.log1p(xp.exp(-xp.abs(Z)))


def _class_weights(name: str, arg: str, w, xp, Z):
    """``w`` (a scalar or one non-negative weight per output unit) as an ``(n_L, 1)`` array."""
    w = xp.asarray(w, dtype=Z.dtype)
    if w.ndim == 0:
        w = w.reshape(1, 1)
    elif w.size == Z.shape[0] and w.ndim <= 2 and (w.ndim == 1 or w.shape[1] == 1):
        w = w.reshape(-1, 1)
    else:
        raise ValueError(f"{name}: {arg} must be a scalar or hold one weight per output unit "
                         f"({Z.shape[0]}), got shape {w.shape}")
    if not bool(xp.isfinite(w).all()) or bool((w < 0).any()):
        raise ValueError(f"{name}: {arg} must be finite and non-negative")
    return w


def weighted_binary_cross_entropy_with_logits(Z, Y, pos_weight=1.0, neg_weight=1.0):
    r"""Binary cross-entropy of :math:`\sigma(Z)` with class weights, from the logits.

    .. math:: L(z, y) = -w_+\, y \log\sigma(z) - w_-\,(1 - y)\log\big(1 - \sigma(z)\big)
              = w_+\, y\, \operatorname{softplus}(-z) + w_-\,(1-y)\, \operatorname{softplus}(z)

    with :math:`\operatorname{softplus}(z) = \log(1 + e^{z})` computed stably.  A common
    choice for a rare positive class is :math:`w_+ = m_-/m_+` (negatives per positive).
    With both weights 1 it is :func:`binary_cross_entropy_with_logits`.

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; ``pos_weight`` and ``neg_weight`` are scalars
    or ``(n_L,)`` (one per output unit); returns a float.  Chapter: *Loss functions*.
    """
    name = "weighted_binary_cross_entropy_with_logits"
    xp, Z, Y, m = _check(name, Z, Y, targets=(0, 1))
    wp = _class_weights(name, "pos_weight", pos_weight, xp, Z)
    wn = _class_weights(name, "neg_weight", neg_weight, xp, Z)
    return float((wp * Y * _softplus(xp, -Z) + wn * (1.0 - Y) * _softplus(xp, Z)).sum()) / m


def weighted_binary_cross_entropy_with_logits_grad(Z, Y, pos_weight=1.0, neg_weight=1.0):
    r"""Gradient of :func:`weighted_binary_cross_entropy_with_logits` with respect to ``Z``.

    .. math:: \frac{\partial J}{\partial Z} = \frac1m\Big(w_-\,(1 - Y) \odot \sigma(Z)
              - w_+\, Y \odot \big(1 - \sigma(Z)\big)\Big)

    (:math:`\frac1m(\sigma(Z) - Y)` when both weights are 1.)

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; returns ``dZ`` ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    name = "weighted_binary_cross_entropy_with_logits"
    xp, Z, Y, m = _check(name, Z, Y, targets=(0, 1))
    wp = _class_weights(name, "pos_weight", pos_weight, xp, Z)
    wn = _class_weights(name, "neg_weight", neg_weight, xp, Z)
    return (wn * (1.0 - Y) * sigmoid(Z) - wp * Y * sigmoid(-Z)) / m


def weighted_softmax_cross_entropy(Z, Y, class_weights=1.0):
    r"""Categorical cross-entropy of :math:`\mathrm{softmax}(Z)` with one weight per class.

    .. math:: L(\mathbf z, \mathbf y) = -\sum_k w_k\, y_k \log \mathrm{softmax}(\mathbf z)_k
              = \Big(\sum_k w_k y_k\Big) \operatorname{logsumexp}(\mathbf z) - \sum_k w_k y_k z_k

    It is :func:`softmax_cross_entropy` with targets :math:`\mathbf w \odot \mathbf y`, whose
    columns no longer sum to 1.  The cost is divided by :math:`m`, not by the total weight
    :math:`\sum_i w_{y^{(i)}}` (PyTorch's ``reduction="mean"`` divides by the latter).

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; ``class_weights`` is ``(n_L,)``; returns a float.
    Chapter: *Loss functions*.
    """
    name = "weighted_softmax_cross_entropy"
    xp, Z, Y, m = _check(name, Z, Y, columns=True, targets=(0, 1))
    WY = _class_weights(name, "class_weights", class_weights, xp, Z) * Y
    return float((WY.sum(axis=0, keepdims=True) * logsumexp(Z) - (WY * Z).sum(axis=0)).sum()) / m


def weighted_softmax_cross_entropy_grad(Z, Y, class_weights=1.0):
    r"""Gradient of :func:`weighted_softmax_cross_entropy`:
    :math:`\frac1m\big(\mathrm{softmax}(Z)\,\mathbf 1^\top (\mathbf w \odot Y) - \mathbf w \odot Y\big)`.

    Column :math:`i` is :math:`\frac1m\big(w_{y^{(i)}}\,\mathrm{softmax}(\mathbf z^{(i)}) - w_{y^{(i)}}\,\mathbf y^{(i)}\big)`
    for a one-hot :math:`\mathbf y^{(i)}`: not :math:`A - Y`.

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; returns ``dZ`` ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    name = "weighted_softmax_cross_entropy"
    xp, Z, Y, m = _check(name, Z, Y, columns=True, targets=(0, 1))
    WY = _class_weights(name, "class_weights", class_weights, xp, Z) * Y
    return (softmax(Z) * WY.sum(axis=0, keepdims=True) - WY) / m


def _focal_parts(name, Z, Y, gamma, alpha):
    if not (gamma >= 0 and gamma < float("inf")):
        raise ValueError(f"{name}: gamma must be finite and >= 0, got {gamma}")
    if alpha is not None and not 0 <= alpha <= 1:
        raise ValueError(f"{name}: alpha must be in [0, 1] or None, got {alpha}")
    xp, Z, Y, m = _check(name, Z, Y, targets=(0, 1))
    a_pos, a_neg = (1.0, 1.0) if alpha is None else (float(alpha), 1.0 - float(alpha))
    return xp, Z, Y, m, a_pos, a_neg


def focal_loss_with_logits(Z, Y, gamma: float = 2.0, alpha: float | None = None):
    r"""Binary focal loss of :math:`p = \sigma(Z)` :cite:p:`lin2017focal`, from the logits.

    .. math:: L(z, y) = -\alpha_+\, y\,(1 - p)^\gamma \log p
              - \alpha_-\,(1 - y)\, p^\gamma \log(1 - p),

    that is :math:`-\alpha_t (1 - p_t)^\gamma \log p_t` with :math:`p_t = p` for :math:`y = 1`
    and :math:`1 - p` for :math:`y = 0`.  The factor :math:`(1-p_t)^\gamma` shrinks the loss
    of samples that are already classified well.  ``alpha=None`` means
    :math:`\alpha_+ = \alpha_- = 1`; a number gives :math:`\alpha_+ = \alpha`,
    :math:`\alpha_- = 1 - \alpha` (the paper uses :math:`\gamma = 2`, :math:`\alpha = 0.25`).
    With :math:`\gamma = 0` and ``alpha=None`` it is :func:`binary_cross_entropy_with_logits`.
    :math:`\log p = -\operatorname{softplus}(-z)` and :math:`\log(1-p) = -\operatorname{softplus}(z)`
    keep it finite for every finite ``Z``.

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; returns a float.  Chapter: *Loss functions*.
    """
    xp, Z, Y, m, a_pos, a_neg = _focal_parts("focal_loss_with_logits", Z, Y, gamma, alpha)
    p, q = sigmoid(Z), sigmoid(-Z)                       # p and 1 - p, each accurate
    L = a_pos * Y * q ** gamma * _softplus(xp, -Z) + a_neg * (1.0 - Y) * p ** gamma * _softplus(xp, Z)
    return float(L.sum()) / m


def focal_loss_with_logits_grad(Z, Y, gamma: float = 2.0, alpha: float | None = None):
    r"""Gradient of :func:`focal_loss_with_logits` with respect to ``Z``.

    With :math:`p = \sigma(z)`, :math:`dp/dz = p(1-p)`:

    .. math:: \frac{\partial L}{\partial z} =
              -\alpha_+\, y\,(1-p)^\gamma \big[(1 - p) - \gamma\, p \log p\big]
              - \alpha_-\,(1-y)\, p^\gamma \big[\gamma\,(1-p)\log(1-p) - p\big],

    divided by :math:`m` for the cost.  For :math:`\gamma = 0` it is :math:`\alpha_- (1-y) p - \alpha_+ y (1-p)`.

    Shapes: ``Z`` and ``Y`` are ``(n_L, m)``; returns ``dZ`` ``(n_L, m)``.  Chapter: *Loss functions*.
    """
    xp, Z, Y, m, a_pos, a_neg = _focal_parts("focal_loss_with_logits", Z, Y, gamma, alpha)
    p, q = sigmoid(Z), sigmoid(-Z)
    log_p, log_q = -_softplus(xp, -Z), -_softplus(xp, Z)
    d = (-a_pos * Y * q ** gamma * (q - gamma * p * log_p)
         - a_neg * (1.0 - Y) * p ** gamma * (gamma * q * log_q - p))
    return d / m


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
    "weighted_binary_cross_entropy_with_logits": (
        weighted_binary_cross_entropy_with_logits, weighted_binary_cross_entropy_with_logits_grad, True),
    "weighted_softmax_cross_entropy": (
        weighted_softmax_cross_entropy, weighted_softmax_cross_entropy_grad, True),
    "focal_loss_with_logits": (focal_loss_with_logits, focal_loss_with_logits_grad, True),
}
_LOSS_ALIASES = {
    "bce": "binary_cross_entropy", "bce_logits": "binary_cross_entropy_with_logits",
    "cce": "categorical_cross_entropy", "cross_entropy": "categorical_cross_entropy",
    "softmax_cce": "softmax_cross_entropy", "l2": "mse", "l1": "mae",
    "weighted_bce_logits": "weighted_binary_cross_entropy_with_logits",
    "weighted_softmax_cce": "weighted_softmax_cross_entropy", "focal": "focal_loss_with_logits",
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
