r"""The training loop: minibatch gradient descent on a :class:`~nnbook.network.Network`.

One step on a minibatch :math:`(X_B, Y_B)` of :math:`m_B` columns is

.. math::

   J = \frac{1}{m_B} \sum_{i \in B} L\big(\hat{\mathbf y}^{(i)}, \mathbf y^{(i)}\big)
       + R(\theta), \qquad
   \theta \leftarrow \theta - \eta\, u\big(\nabla_\theta J\big)

with :math:`R` the L1/L2 penalty and :math:`u` the optimizer's update (:math:`u(g) = g` for
plain SGD).  In code, the whole of :func:`fit` is this loop::

    for epoch in range(epochs):
        optimizer.lr = schedule(epoch)              # with a schedule
        for Xb, Yb in minibatches(X, Y, batch_size, seed=rng):
            net.forward(Xb, training=True)          # A^[1]..A^[L], dropout on
            J = net.cost(Yb) + penalty(net, l1, l2) # cost of this batch
            net.backward(Yb)                        # every dW^[l], db^[l]
            add_penalty_gradient(net, l1, l2)       # + penalty gradient
            clip_by_global_norm(net.grad, clip_norm)  # if asked
            optimizer.step(net.theta, net.grad)     # ONE update of all

plus bookkeeping: the epoch's loss and accuracy, the validation metrics, early stopping and
the checks below.  ``net.theta`` and ``net.grad`` are single flat vectors of which every
:math:`W^{[l]}` and :math:`b^{[l]}` (and :math:`dW^{[l]}`, :math:`db^{[l]}`) is a view, so the optimizer
updates all parameters in one vectorized call instead of a Python loop over layers.

``batch_size=None`` is (full-)batch gradient descent, ``batch_size=1`` stochastic gradient
descent, anything in between minibatch gradient descent.

The book teaches this in the chapters *Training a network end to end*, *Gradient descent and its
variants* and *Training diagnostics*.
"""
from __future__ import annotations

import contextlib
import math
import sys

import numpy as np

from .backend import get_array_module, to_device, to_numpy
from .callbacks import call_callbacks, check_callbacks
from .data import _integer_labels, minibatches, one_hot
from .initializers import as_generator
from .optimizers import Optimizer, clip_by_global_norm, get_optimizer
from .regularization import EarlyStopping, add_penalty_gradient, penalty
from ._validation import count as _count
from ._validation import number as _number

__all__ = ["fit", "evaluate", "accuracy", "confusion_matrix", "History", "TrainingDiverged"]

# learning rates used when fit() gets an optimizer *name* and lr=None, for the optimizers
# whose classes have no default; momentum and Nesterov (sum form, beta = 0.9) take steps up
# to 1/(1 - beta) = 10 times larger than SGD with the same lr, hence the smaller value
_DEFAULT_LR = {"sgd": 0.1, "gd": 0.1, "momentum": 0.01, "heavy_ball": 0.01,
               "nesterov": 0.01, "nag": 0.01}


class TrainingDiverged(RuntimeError):
    """Training diverged in :func:`fit`; the network holds its last good parameters.

    Raised when a batch's cost is NaN or infinite, when it has grown past
    ``divergence_factor`` times its start (see :func:`fit`), or when a step made the
    parameters non-finite.

    Attributes
    ----------
    history : History
        What was measured in the epochs that finished before training diverged (so a run
        that diverges in epoch 40 still shows its first 39 epochs).
    epoch, step : int
        Where it happened (both counted from 1; ``step`` is ``None`` for the end-of-epoch
        check of the parameters).
    cost : float
        The offending cost (NaN for the parameter check).
    restored : str
        Which parameters the network was put back to, in words (also in the message).
    """

    def __init__(self, message, *, history=None, epoch=None, step=None, cost=float("nan"),
                 restored=""):
        super().__init__(message)
        self.history, self.epoch, self.step = history, epoch, step
        self.cost, self.restored = cost, restored


# --- the history of a run -----------------------------------------------------------------
class History:
    r"""What :func:`fit` measured, epoch by epoch.

    Attributes
    ----------
    history : dict of str to list
        One list per metric, one entry per epoch:

        - ``"loss"``: mean training cost over the epoch's batches (weighted by batch size),
          the data term only (the penalty is under ``"penalty"`` when ``l1`` or ``l2`` > 0);
        - ``"accuracy"``: training accuracy (classification networks only);
        - ``"val_loss"``, ``"val_accuracy"``: on ``validation_data`` after the epoch;
        - ``"lr"``: the learning rate used in the epoch;
        - with ``diagnostics=True``, per layer ``l``: ``"grad_norm_W{l}"``
          :math:`\lVert dW^{[l]}\rVert`, ``"update_ratio_W{l}"``
          :math:`\lVert \Delta W^{[l]}\rVert / \lVert W^{[l]}\rVert`, ``"act_mean_A{l}"``,
          ``"act_std_A{l}"``, for ReLU layers ``"dead_fraction_A{l}"`` and
          ``"sparsity_A{l}"``, for sigmoid and tanh layers ``"saturated_fraction_A{l}"``,
          and ``"weight_norm_W{l}"``, ``"weight_std_W{l}"`` (see :func:`fit`).
    epochs : list of int
        The epoch numbers ``1, 2, ...`` (after epoch 1, after epoch 2, ...).
    stopped_epoch : int or None
        The epoch after which early stopping ended training, if it did.
    best_epoch : int or None
        With early stopping: the epoch of the best monitored loss.

    Indexing returns a NumPy array: ``history["loss"]``; :meth:`per_layer` stacks a
    diagnostic over layers: ``history.per_layer("grad_norm")`` is ``(epochs, L)``.

    Chapter: *Training a network end to end*.
    """

    def __init__(self):
        self.history: dict[str, list] = {}
        self.epochs: list[int] = []
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None

    def append(self, epoch: int, **values) -> None:
        """Record the metrics of one epoch."""
        self.epochs.append(int(epoch))
        for key, value in values.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self.history:
            raise KeyError(f"{key!r} was not recorded; recorded: {', '.join(self.history)}")
        return np.asarray(self.history[key], dtype=float)

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epochs)

    def per_layer(self, name: str) -> np.ndarray:
        """A per-layer diagnostic as an array ``(epochs, L)`` (NaN where a layer has none)."""
        keys = sorted((k for k in self.history if k.startswith(name + "_")),
                      key=lambda k: int(k.rsplit("_", 1)[1][1:]))
        if not keys:
            raise KeyError(f"no per-layer entries {name!r}: fit(..., diagnostics=True) records them")
        L = max(int(k.rsplit("_", 1)[1][1:]) for k in keys)
        out = np.full((len(self.epochs), L), np.nan)
        for k in keys:
            out[:, int(k.rsplit("_", 1)[1][1:]) - 1] = self.history[k]
        return out

    def __repr__(self) -> str:
        if not self.epochs:
            return "History(0 epochs)"
        parts = [f"History({len(self.epochs)} epochs"]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if key in self.history:
                v = self.history[key]
                parts.append(f"{key} {v[0]:.4g} -> {v[-1]:.4g}")
        if self.stopped_epoch is not None:
            parts.append(f"stopped early after epoch {self.stopped_epoch}")
        return "; ".join(parts) + ")"


# --- targets and data checks --------------------------------------------------------------
def _output_kind(net) -> str:
    """``"softmax"``, ``"sigmoid"`` (classification) or ``"regression"`` for a network's output."""
    name = net.layers[-1].g.name
    return name if name in ("softmax", "sigmoid") else "regression"


def _prepare(net, X, Y, names=("X", "Y")):
    """X and Y checked once and moved to the network's device and dtype (see :func:`fit`)."""
    xp = get_array_module(net.theta)
    nx, ny = names
    X = to_device(X if hasattr(X, "shape") else np.asarray(X), net.device, net.dtype)
    if X.ndim != 2 or X.shape[0] != net.sizes[0]:
        hint = ": are samples in columns? pass X.T" if X.ndim == 2 and X.shape[1] == net.sizes[0] else ""
        raise ValueError(f"{nx} must have shape ({net.sizes[0]}, m) for this network, "
                         f"got {X.shape}{hint}")
    finite = xp.isfinite(X).all(axis=0)
    if not bool(finite.all()):
        col = int(np.argmin(to_numpy(finite)))
        raise ValueError(f"{nx} contains NaN or infinity, first in column {col} (sample {col}): "
                         "clean or drop those samples before training")
    m, n_L, kind = X.shape[1], net.sizes[-1], _output_kind(net)
    Y = Y if hasattr(Y, "shape") else np.asarray(Y)
    if Y.ndim == 1:
        if Y.shape[0] != m:
            raise ValueError(f"{nx} has {m} samples (columns) but {ny} has {Y.shape[0]} entries")
        if kind == "softmax":  # integer labels for a softmax output: one-hot them here
            try:
                Y = one_hot(Y, n_classes=n_L)
            except ValueError as exc:
                raise ValueError(f"{ny} (labels for a softmax output with {n_L} units): {exc}") from None
        elif n_L == 1:
            Y = Y.reshape(1, -1)
        else:
            raise ValueError(f"{ny} has shape {Y.shape} but the output layer has {n_L} units: "
                             f"give targets of shape ({n_L}, {m})")
    if Y.ndim != 2:
        raise ValueError(f"{ny} must have shape ({n_L}, {m}), got {Y.shape}")
    if Y.shape[1] != m:
        raise ValueError(f"{nx} has {m} samples (columns) but {ny} has {Y.shape[1]} "
                         f"(shape {Y.shape}): both need one column per sample")
    if Y.shape[0] != n_L:
        raise ValueError(f"{ny} has {Y.shape[0]} rows but the output layer has {n_L} units: "
                         f"{ny} must be ({n_L}, m)"
                         + (" (one-hot encode the labels)" if kind == "softmax" else ""))
    Y = to_device(Y, net.device, net.dtype)
    if not bool(xp.isfinite(Y).all()):
        col = int(np.argmin(to_numpy(xp.isfinite(Y).all(axis=0))))
        raise ValueError(f"{ny} contains NaN or infinity, first in column {col}")
    if kind != "regression" and not bool(((Y >= 0) & (Y <= 1)).all()):
        raise ValueError(f"{ny} for a {kind} output must hold values in [0, 1] "
                         "(0/1 labels or one-hot columns)")
    return X, Y


def _n_correct(A, Y, kind):
    """Correctly classified samples (a device scalar: no host sync per batch).

    ``kind="softmax"``: compare the argmax of each column; otherwise threshold at 0.5 and
    count a sample as right when every output unit is right.
    """
    xp = get_array_module(A)
    if kind == "softmax":
        return (xp.argmax(A, axis=0) == xp.argmax(Y, axis=0)).sum()
    return ((A >= 0.5) == (Y >= 0.5)).all(axis=0).sum()


def accuracy(net_or_A, *args) -> float:
    r"""Fraction of correctly classified samples.

    Two call forms::

        accuracy(A, Y)          # A = a network's output (n_L, m)
        accuracy(net, X, Y)     # runs net.forward(X) first

    For a softmax output (or an ``A`` with several rows) the prediction is the class of the
    largest output, :math:`\hat y = \arg\max_k a_k`; for a sigmoid output (or an ``A`` with
    one row) it is :math:`\hat y = [a \ge 0.5]`.

    .. math:: \text{accuracy} = \frac1m \sum_{i=1}^m [\hat y^{(i)} = y^{(i)}]

    ``Y`` may be targets ``(n_L, m)`` (0/1 or one-hot) or integer labels ``(m,)``.

    Shapes: ``A``, ``Y`` ``(n_L, m)`` (or ``Y`` ``(m,)``); returns a float.
    Chapter: *Training a network end to end*.
    """
    if hasattr(net_or_A, "layers") and hasattr(net_or_A, "forward"):
        if len(args) != 2:
            raise TypeError("accuracy(net, X, Y) needs X and Y")
        net, (X, Y) = net_or_A, args
        kind = _output_kind(net)
        if kind == "regression":
            raise ValueError(f"accuracy needs a sigmoid or softmax output, got "
                             f"{net.layers[-1].g.name!r}: use evaluate(net, X, Y)['loss']")
        X, Y = _prepare(net, X, Y)
        return float(_n_correct(net.forward(X), Y, kind)) / X.shape[1]
    if len(args) != 1:
        raise TypeError("accuracy(A, Y) takes the output A and the targets Y")
    xp = get_array_module(net_or_A)
    A, Y = xp.asarray(net_or_A), xp.asarray(args[0])
    if A.ndim != 2:
        raise ValueError(f"A must be a network output (n_L, m), got shape {A.shape}")
    kind = "softmax" if A.shape[0] > 1 else "sigmoid"
    if Y.ndim == 1:
        if Y.shape[0] != A.shape[1]:
            raise ValueError(f"A has {A.shape[1]} samples but Y has {Y.shape[0]} labels")
        pred = xp.argmax(A, axis=0) if kind == "softmax" else (A[0] >= 0.5)
        return float((pred == Y).mean())
    if Y.shape != A.shape:
        raise ValueError(f"A has shape {A.shape} but Y has shape {Y.shape}")
    return float(_n_correct(A, Y, kind)) / A.shape[1]


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    r"""Counts of (true class, predicted class) pairs over a data set.

    .. math:: C_{jk} = \sum_{i=1}^m \big[\, y^{(i)} = j \ \text{and}\ \hat y^{(i)} = k \,\big],
              \qquad \text{accuracy} = \frac{\operatorname{tr} C}{m}

    Row :math:`j` holds the samples whose true class is :math:`j`, column :math:`k` those
    predicted as :math:`k` (scikit-learn's convention), so the diagonal counts the correct
    predictions, :math:`\operatorname{tr} C / m` is the accuracy, row sums are the class sizes
    and :math:`C_{jj} / \sum_k C_{jk}` is the recall of class :math:`j`.

    Parameters
    ----------
    y_true : int array ``(m,)``, or one-hot targets ``(K, m)``
    y_pred : int array ``(m,)``, or a network output / scores ``(K, m)``
        A 2-D argument with several rows is turned into labels by the argmax of each column,
        :math:`\hat y^{(i)} = \arg\max_k a_k^{(i)}` (as :func:`accuracy` does).
    n_classes : int, optional
        :math:`K`; default: one more than the largest label in either argument (give it when
        the last class might be absent).

    Returns
    -------
    numpy.ndarray
        Integer counts ``(K, K)``, always on the host (it is small); its entries sum to ``m``.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])

    Shapes: ``y_true``, ``y_pred`` ``(m,)`` or ``(K, m)``; returns ``(K, K)``.
    Chapter: *Training a network end to end*.
    """
    def labels(y, name):
        y = to_numpy(y) if hasattr(y, "shape") else np.asarray(y)
        if y.ndim == 2 and y.shape[0] > 1:
            return np.argmax(y, axis=0).astype(np.int64)
        return _integer_labels(y, name)

    t, p = labels(y_true, "y_true"), labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} samples but y_pred has {p.size}: "
                         "need one prediction per sample")
    top = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    K = top if n_classes is None else _count("n_classes", n_classes)
    if K < 1:
        raise ValueError("confusion_matrix got no samples and no n_classes: cannot tell K")
    if top > K:
        raise ValueError(f"label {top - 1} is out of range for n_classes={K} (labels 0..{K - 1})")
    return np.bincount(t * K + p, minlength=K * K).reshape(K, K)


def evaluate(net, X, Y, batch_size: int | None = None) -> dict:
    r"""Cost (and accuracy, for a classifier) of a network on a data set, without training.

    .. math:: J = \frac1m \sum_{i=1}^m L\big(\hat{\mathbf y}^{(i)}, \mathbf y^{(i)}\big)

    computed with ``training=False`` (no dropout), in batches of ``batch_size`` columns if
    given (to bound memory; the result is the same).  The penalty is not included.

    Returns
    -------
    dict
        ``{"loss": J}``, plus ``"accuracy"`` for a sigmoid or softmax output.

    Shapes: ``X`` ``(n_0, m)``, ``Y`` ``(n_L, m)`` or labels ``(m,)``.
    Chapter: *Training a network end to end*.
    """
    X, Y = _prepare(net, X, Y)
    return _evaluate(net, X, Y, batch_size)


def _evaluate(net, X, Y, batch_size=None) -> dict:
    """:func:`evaluate` on data already checked by :func:`_prepare`."""
    kind = _output_kind(net)
    total, correct, m = 0.0, 0, X.shape[1]
    for Xb, Yb in minibatches(X, Y, batch_size, shuffle=False):
        A = net.forward(Xb)
        total += net.cost(Yb) * Xb.shape[1]
        if kind != "regression":
            correct = correct + _n_correct(A, Yb, kind)
    out = {"loss": total / m}
    if kind != "regression":
        out["accuracy"] = float(correct) / m
    return out


# --- diagnostics --------------------------------------------------------------------------
def _probe_columns(m: int, size: int = 256):
    """Evenly spaced sample indices for the diagnostics' probe batch (no randomness)."""
    return np.unique(np.linspace(0, m - 1, min(m, size)).round().astype(np.int64))


def _activation_stats(net, X_probe) -> dict:
    """Mean, std and (ReLU) dead fraction of every layer's activations on a probe batch."""
    net.forward(X_probe)
    stats = {}
    for l, layer in enumerate(net.layers, start=1):
        A = layer.A
        stats[f"act_mean_A{l}"] = float(A.mean())
        stats[f"act_std_A{l}"] = float(A.std())
        if layer.g.name == "relu":  # a unit is dead if it outputs 0 for every probe sample
            stats[f"dead_fraction_A{l}"] = float((A == 0).all(axis=1).mean())
            stats[f"sparsity_A{l}"] = float((A == 0).mean())  # zero entries, any unit
        elif layer.g.name in ("sigmoid", "tanh"):  # within 1 % of its range from an end:
            a = (A + 1) / 2 if layer.g.name == "tanh" else A  # g'(z) < 0.0396 g'(0)
            stats[f"saturated_fraction_A{l}"] = float(((a < 0.01) | (a > 0.99)).mean())
    return stats


def _norm(x) -> float:
    xp = get_array_module(x)
    return float(xp.sqrt((x * x).sum()))


def _gradient_norms(net) -> dict:
    return {f"grad_norm_W{l}": _norm(layer.dW) for l, layer in enumerate(net.layers, start=1)}


def _weight_stats(net) -> dict:
    """Norm and standard deviation of every W^[l]."""
    stats = {}
    for l, layer in enumerate(net.layers, start=1):
        stats[f"weight_norm_W{l}"] = _norm(layer.W)
        stats[f"weight_std_W{l}"] = float(layer.W.std())
    return stats


def _update_ratios(net, W_old) -> dict:
    return {f"update_ratio_W{l}": _norm(layer.W - W0) / max(_norm(W0), 1e-300)
            for l, (layer, W0) in enumerate(zip(net.layers, W_old), start=1)}


# --- the loop -------------------------------------------------------------------------------
def _make_optimizer(optimizer, lr, schedule):
    if lr is not None and not (isinstance(lr, (int, float, np.number)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            optimizer.lr = lr
        return optimizer
    if not isinstance(optimizer, str):
        raise TypeError(f"optimizer must be a name such as 'sgd' or 'adam', or an Optimizer "
                        f"instance, got {type(optimizer).__name__}")
    if lr is None and schedule is not None:
        lr = schedule(0)
    if lr is None:
        key = optimizer.lower()
        return get_optimizer(optimizer, lr=_DEFAULT_LR[key]) if key in _DEFAULT_LR \
            else get_optimizer(optimizer)
    return get_optimizer(optimizer, lr=lr)


def _epoch_iterator(epochs: int, progress):
    """``range(1, epochs + 1)``, wrapped in a tqdm bar when asked (and stderr is a terminal)."""
    epochs_range = range(1, epochs + 1)
    if not progress or (progress != "force" and not sys.stderr.isatty()):
        return epochs_range
    try:
        from tqdm import tqdm
    except ImportError as exc:
        raise ImportError("progress=True needs tqdm: pip install tqdm (or pass progress=False)") from exc
    return tqdm(epochs_range, desc="training", unit="epoch")


def _diverged(net, theta_good, epoch, where, what, lr, history=None, good=None, step=None,
              cost=float("nan")):
    """Put the last good parameters back and raise :class:`TrainingDiverged`.

    ``good`` is ``(epoch, step, cost)`` of the last batch whose cost passed the checks (the
    cost ``theta_good`` gave), or ``None`` when the very first one failed.
    """
    net.theta[...] = theta_good
    if good is None:
        restored = "the parameters fit started with (their cost already failed the check)"
    else:
        restored = (f"the parameters of epoch {good[0]}, step {good[1]}, the last whose cost "
                    f"passed the checks ({good[2]:.4g})")
    raise TrainingDiverged(
        f"training diverged in epoch {epoch}, {where}: {what} with learning rate {lr:g}. "
        f"The network holds {restored}; the exception's .history holds the finished epochs. "
        "Lower the learning rate, clip gradients (clip_norm=...), or check the data for "
        "NaN or huge values.",
        history=history, epoch=epoch, step=step, cost=cost, restored=restored,
    )


@contextlib.contextmanager
def _closing(bar):
    """Close a tqdm bar however the loop ends (a plain range needs nothing)."""
    try:
        yield bar
    finally:
        if hasattr(bar, "close"):
            bar.close()


def _report(bar, values, epoch, epochs, every) -> None:
    """Show the epoch's main metrics on the progress bar and/or as a printed line."""
    main = {k: v for k, v in values.items()
            if k in ("loss", "accuracy", "val_loss", "val_accuracy", "lr")}
    if hasattr(bar, "set_postfix"):
        bar.set_postfix({k: f"{v:.4g}" for k, v in main.items() if k != "lr"})
    if every and (epoch % every == 0 or epoch == epochs):
        print(f"epoch {epoch}/{epochs}: " + ", ".join(f"{k} {v:.4g}" for k, v in main.items()))


def fit(net, X, Y, epochs: int = 10, optimizer="sgd", lr: float | None = None,
        batch_size: int | None = None, schedule=None, validation_data=None,
        l1: float = 0.0, l2: float = 0.0, clip_norm: float | None = None,
        early_stopping=None, diagnostics: bool = False, progress=False, seed=0,
        verbose=False, callbacks=None, divergence_factor: float | None = 1e6) -> History:
    r"""Train a network with (minibatch) gradient descent; returns the :class:`History`.

    Each epoch shuffles the columns of ``X`` (with a generator seeded by ``seed``, so a
    run is reproducible), cuts them into batches and takes one optimizer step per batch:

    .. math:: \theta \leftarrow \theta - \eta\, u\Big(\nabla_\theta \Big[\frac{1}{m_B}
              \sum_{i\in B} L(\hat{\mathbf y}^{(i)}, \mathbf y^{(i)}) + R(\theta)\Big]\Big)

    Parameters
    ----------
    net : Network
        Trained in place.
    X : array ``(n_0, m)``
        Inputs, samples in columns.
    Y : array ``(n_L, m)``, or labels ``(m,)``
        Targets.  Integer labels ``(m,)`` are **one-hot encoded automatically** for a
        softmax output (with :math:`K = n_L` classes); a 1-D ``Y`` for a one-unit output is
        taken as the row ``(1, m)``.
    epochs : int
        Passes over the training set.
    optimizer : str or Optimizer
        ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``, or
        an instance (its state carries over between calls to ``fit``).
    lr : float, optional
        Learning rate.  For a name and ``lr=None``: ``schedule(0)`` if a schedule is given,
        else 0.1 for SGD, 0.01 for momentum and Nesterov, the class default otherwise.
    batch_size : int or None
        ``None``: full batch; ``1``: SGD; ``k``: minibatches of ``k`` (the last one smaller
        if ``k`` does not divide ``m``).
    schedule : callable, optional
        ``schedule(t) -> lr``; at the start of epoch ``t = 0, 1, ...`` the optimizer's ``lr``
        is set to ``schedule(t)`` (see :mod:`nnbook.schedules`).
    validation_data : (X_val, Y_val), optional
        Evaluated after every epoch (``training=False``).
    l1, l2 : float
        Penalty strengths (see :mod:`nnbook.regularization`); 0 switches them off.
    clip_norm : float, optional
        Clip the gradient to this global norm before each step.
    early_stopping : EarlyStopping or int, optional
        Stop when the monitored loss (``val_loss`` if there is validation data, else
        ``loss``) has not improved for ``patience`` epochs; an int ``p`` means
        ``EarlyStopping(patience=p, restore_best=True)``.  It is ``reset()`` first.  With
        ``restore_best=True`` the network ends with the parameters of the best epoch, whether
        training stopped early or ran all its epochs (``History.best_epoch`` says which).
    diagnostics : bool
        Also record, per layer: the gradient norm :math:`\lVert dW^{[l]}\rVert` and the update
        ratio :math:`\lVert\Delta W^{[l]}\rVert/\lVert W^{[l]}\rVert`, both at the epoch's last
        step (before clipping), and the mean and standard deviation of :math:`A^{[l]}` and,
        for ReLU layers, the fraction of *dead* units (output 0 for every sample) and the
        sparsity (fraction of zero entries), for sigmoid and tanh layers the fraction of
        *saturated* entries (within 1 % of the output range from either end, where
        :math:`g'(z) < 0.04\,g'(0)`), measured after the epoch on a fixed probe batch of up
        to 256 evenly spaced training columns; and the norm and standard deviation of each
        :math:`W^{[l]}` after the epoch.  Keys: ``"grad_norm_W{l}"``, ``"update_ratio_W{l}"``,
        ``"act_mean_A{l}"``, ``"act_std_A{l}"``, ``"dead_fraction_A{l}"``, ``"sparsity_A{l}"``,
        ``"saturated_fraction_A{l}"``, ``"weight_norm_W{l}"``, ``"weight_std_W{l}"``.
    progress : bool or "force"
        A tqdm progress bar over epochs; shown only when stderr is a terminal, unless
        ``"force"``.
    seed : int or numpy.random.Generator
        Shuffling of the minibatches: the same seed gives bit-identical results on the CPU.
    verbose : bool or int
        Print a line every epoch (``True``) or every ``verbose`` epochs.
    callbacks : list, optional
        Called after every epoch, after the epoch is recorded in the history, with
        ``logs``, a copy of the dict of that epoch's numbers (the keys above):
        each entry is either a callable ``cb(epoch, logs)`` or an object with a method
        ``on_epoch_end(epoch, logs, net)``.  A callback returning ``True`` stops training
        after that epoch (``History.stopped_epoch``).  Use one to send the numbers anywhere:
        :class:`~nnbook.callbacks.JSONLinesLogger` and :class:`~nnbook.callbacks.CSVLogger`
        write local files; see :mod:`nnbook.callbacks` for TensorBoard and Weights & Biases.

    divergence_factor : float or None
        Stop with :class:`TrainingDiverged` when a batch's cost (with the penalty) exceeds
        ``divergence_factor`` times its start, :math:`J > f \cdot \max(J_1, 1)`, with
        :math:`J_1` the cost of the first batch of this call (the floor 1 keeps a run that
        starts near a perfect fit from being flagged for a harmless rise).  Default
        :math:`10^6`: six orders of magnitude of growth, which training that is merely noisy
        or slow never shows, but a learning rate far too large reaches within a few steps
        (long before the cost overflows to infinity).  ``None`` keeps only the NaN/infinity
        check.  It costs one comparison per step.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        Bad data (NaN or infinity in ``X`` or ``Y``, mismatched columns, ``Y`` rows not
        matching the output layer) or arguments; checked once, before training starts.
    TrainingDiverged
        A batch's cost became NaN or infinite, or grew past ``divergence_factor`` times its
        start, or a step made the parameters non-finite.  The network is then left at the
        last parameters whose cost passed these checks: the cost of a batch is computed
        *before* the step, so a bad cost means the previous step produced bad parameters;
        ``fit`` keeps a copy of :math:`\theta` from before each step (one vector copy per
        step, cheaper than the update itself) and puts it back.  The message says which
        parameters those are (epoch and step); the exception's ``history`` attribute holds
        the :class:`History` of the epochs that finished.

    Examples
    --------
    >>> from nnbook import Network
    >>> from nnbook.data import xor
    >>> from nnbook.training import fit
    >>> X, y = xor()
    >>> net = Network([2, 4, 1], hidden="tanh", loss="bce", seed=0)
    >>> h = fit(net, X, y, epochs=500, optimizer="adam", lr=0.05)
    >>> h.history["accuracy"][-1]
    1.0

    Shapes: ``X`` ``(n_0, m)``, ``Y`` ``(n_L, m)``.
    Chapters: *Training a network end to end*, *Gradient descent and its variants*.
    """
    # -- checks, once -------------------------------------------------------------------
    epochs = _count("epochs", epochs)
    callbacks = check_callbacks(callbacks)
    if divergence_factor is not None:
        divergence_factor = _number("divergence_factor", divergence_factor, "fit", positive=True)
        if divergence_factor <= 1:
            raise ValueError(f"fit: divergence_factor must be None or a number > 1 (how many "
                             f"times its start the cost may grow), got {divergence_factor!r}")
    if batch_size is not None and (isinstance(batch_size, bool)
                                   or not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"batch_size must be None (full batch) or an integer >= 1, got {batch_size!r}")
    for name, value in (("l1", l1), ("l2", l2)):
        if not (isinstance(value, (int, float, np.number)) and math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if clip_norm is not None and not (isinstance(clip_norm, (int, float, np.number)) and clip_norm > 0):
        raise ValueError(f"clip_norm must be None or a number > 0, got {clip_norm!r}")
    X, Y = _prepare(net, X, Y)
    # Samples contiguous in memory (column-major): a shuffled minibatch X[:, B] is then a copy
    # of whole columns, ~10x faster than a gather from a row-major X (benchmarks/README.md).
    # Y, with few rows, stays row-major: the loss's sums over each column are faster so.
    X = get_array_module(X).asfortranarray(X)
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise ValueError("validation_data must be a pair (X_val, Y_val)")
        X_val, Y_val = _prepare(net, *validation_data, names=("X_val", "Y_val"))
    opt = _make_optimizer(optimizer, lr, schedule)
    if isinstance(early_stopping, (int, np.integer)) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=int(early_stopping), restore_best=True)
    if early_stopping is not None:
        early_stopping.reset()  # a stopper from an earlier run would stop at once
    kind = _output_kind(net)
    regularized = l1 > 0 or l2 > 0
    rng = as_generator(seed)
    m = X.shape[1]
    n_batches = 1 if batch_size is None else -(-m // batch_size)
    theta_before = net.theta.copy()  # parameters that gave the last finite cost
    limit, good = math.inf, None  # divergence threshold (set at the first batch), last good cost
    X_probe = X[:, get_array_module(X).asarray(_probe_columns(m))] if diagnostics else None
    history = History()
    every = 1 if verbose is True else int(verbose or 0)

    # -- the loop -----------------------------------------------------------------------
    bar = _epoch_iterator(epochs, progress)
    # overflow shows up as a non-finite cost, which is checked; no warnings on the way there
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), _closing(bar):
        for epoch in bar:
            if schedule is not None:
                opt.lr = schedule(epoch - 1)
            loss_sum, penalty_sum, correct, record = 0.0, 0.0, 0, {}
            batches = minibatches(X, Y, batch_size, seed=rng, reuse_buffers=True)
            for step, (Xb, Yb) in enumerate(batches):
                A = net.forward(Xb, training=True)
                J = net.cost(Yb)
                R = penalty(net, l1, l2) if regularized else 0.0
                if not math.isfinite(J + R) or J + R > limit:
                    grown = math.isfinite(J + R)
                    _diverged(net, theta_before, epoch, f"step {step + 1} of {n_batches}",
                              f"the cost is {J + R:.4g}" + (
                                  f", more than divergence_factor={divergence_factor:g} times "
                                  f"its start or 1, whichever is larger ({limit / divergence_factor:.4g})"
                                  if grown else ""),
                              opt.lr, history, good, step + 1, J + R)
                if good is None and divergence_factor is not None:
                    limit = divergence_factor * max(J + R, 1.0)
                good = (epoch, step + 1, J + R)
                net.backward(Yb)
                if regularized:
                    add_penalty_gradient(net, l1, l2)
                last = diagnostics and step == n_batches - 1
                if last:  # diagnostics of the epoch's last step: before clipping and stepping
                    record.update(_gradient_norms(net))
                    W_old = [layer.W.copy() for layer in net.layers]
                if clip_norm is not None:
                    clip_by_global_norm(net.grad, clip_norm)
                theta_before[...] = net.theta
                opt.step(net.theta, net.grad)  # one vectorized update of every parameter
                if last:
                    record.update(_update_ratios(net, W_old))
                loss_sum += J * Xb.shape[1]
                penalty_sum += R * Xb.shape[1]
                if kind != "regression":
                    correct = correct + _n_correct(A, Yb, kind)
            if not bool(get_array_module(net.theta).isfinite(net.theta).all()):
                _diverged(net, theta_before, epoch, "its last step",
                          "the parameters became NaN or infinite", opt.lr, history, good)

            values = {"loss": loss_sum / m}
            if regularized:
                values["penalty"] = penalty_sum / m
            if kind != "regression":
                values["accuracy"] = float(correct) / m
            if validation_data is not None:
                values.update({"val_" + k: v for k, v in _evaluate(net, X_val, Y_val).items()})
            values["lr"] = float(opt.lr)
            if diagnostics:
                values.update(record)
                values.update(_activation_stats(net, X_probe))
                values.update(_weight_stats(net))
            history.append(epoch, **values)
            _report(bar, values, epoch, epochs, every)
            if callbacks and call_callbacks(callbacks, epoch, values, net):
                history.stopped_epoch = epoch
                break
            if early_stopping is not None:
                monitored = values.get("val_loss", values["loss"])
                if early_stopping.update(monitored, net):
                    history.stopped_epoch = epoch
                    break
    if early_stopping is not None and early_stopping.best_epoch is not None:
        history.best_epoch = early_stopping.best_epoch + 1  # its count starts at 0, ours at 1
        if early_stopping.restore_best:  # stopped early or not: end on the best epoch
            early_stopping.restore(net)
    return history
