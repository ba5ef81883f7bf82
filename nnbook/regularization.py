r"""Regularization: L1/L2 weight penalties and early stopping (dropout lives in :class:`~nnbook.layers.Dense`).

**Weight penalties.**  The penalized cost adds a norm of the weights (never the biases) of
every layer:

.. math:: J_{\text{total}} &= J + \lambda_1 \sum_l \lVert W^{[l]} \rVert_1
          + \lambda_2 \sum_l \lVert W^{[l]} \rVert_F^2, \\
          \frac{\partial J_{\text{total}}}{\partial W^{[l]}} &= dW^{[l]}
          + \lambda_1 \operatorname{sign}(W^{[l]}) + 2\lambda_2 W^{[l]}

This is the sources' form (:math:`L_{total} = L_{data} + \lambda \lVert W\rVert^2`, gradient
:math:`+ 2\lambda W`).  Another common form, e.g. in Ng's course, is
:math:`J + \frac{\lambda'}{2m}\lVert W\rVert^2` with gradient :math:`+\frac{\lambda'}{m} W`;
the two are the same penalty when :math:`\lambda_2 = \lambda'/(2m)`.  With plain gradient
descent the L2 term makes every step shrink the weights by a constant factor first,
:math:`W \leftarrow (1 - 2\eta\lambda_2) W - \eta\, dW`: hence its other name, *weight decay*
:cite:p:`krogh1992simple`.  The L1 term :cite:p:`tibshirani1996regression` pushes every
weight towards 0 by the same amount :math:`\eta\lambda_1` per step, which drives small weights to
exactly 0 (its derivative at 0 is taken as 0, a subgradient).

**Early stopping** :cite:p:`prechelt1998early`: watch the validation loss, stop when it has not
improved for ``patience`` epochs, and go back to the parameters of the best epoch.

The book teaches these in the chapter *Regularization*.
"""
from __future__ import annotations

import math

from .backend import get_array_module
from ._validation import count as _count
from ._validation import number as _strength

__all__ = ["penalty", "add_penalty_gradient", "decay_mask", "EarlyStopping"]


def _layers(net) -> list:
    layers = getattr(net, "layers", net)
    try:
        layers = list(layers)
    except TypeError:
        raise TypeError(f"expected a Network (or a list of Dense layers), got {type(net).__name__}") \
            from None
    for layer in layers:
        if not hasattr(layer, "W") or not hasattr(layer, "dW"):
            raise TypeError(f"expected layers with W and dW, got {type(layer).__name__}")
    return layers


def penalty(net, l1=0.0, l2=0.0) -> float:
    r"""The weight penalty :math:`\lambda_1 \sum_l \lVert W^{[l]}\rVert_1 + \lambda_2 \sum_l \lVert W^{[l]}\rVert_F^2` (biases excluded).

    Add it to the data cost to get :math:`J_{\text{total}}`.

    .. math:: \Omega = \lambda_1 \sum_l \sum_{j,k} |W^{[l]}_{jk}|
              + \lambda_2 \sum_l \sum_{j,k} \big(W^{[l]}_{jk}\big)^2

    Shapes: each ``W`` is ``(n_l, n_{l-1})``; returns a float.  Chapter: *Regularization*.

    Parameters
    ----------
    net : Network or list of Dense
        The model whose weights are penalized.
    l1, l2 : float
        :math:`\lambda_1, \lambda_2 \ge 0` (default 0).  For the :math:`\frac{\lambda'}{2m}`
        convention pass ``l2 = lam / (2 * m)``.
    """
    l1 = _strength("l1", l1, "penalty")
    l2 = _strength("l2", l2, "penalty")
    total = 0.0
    for layer in _layers(net):
        xp = get_array_module(layer.W)
        if l1:
            total += l1 * float(xp.abs(layer.W).sum())
        if l2:
            total += l2 * float((layer.W * layer.W).sum())
    return total


def add_penalty_gradient(net, l1=0.0, l2=0.0) -> None:
    r"""Add the penalty's gradient to every layer's ``dW`` in place (``db`` is left alone).

    .. math:: dW^{[l]} \leftarrow dW^{[l]} + \lambda_1 \operatorname{sign}(W^{[l]})
              + 2\lambda_2 W^{[l]}

    Call it after :meth:`Network.backward` and before the optimizer step.  For the
    :math:`\frac{\lambda'}{2m}\lVert W\rVert^2` convention (gradient :math:`\frac{\lambda'}{m} W`)
    pass ``l2 = lam / (2 * m)``.

    Shapes: ``dW`` and ``W`` are ``(n_l, n_{l-1})``.  Chapter: *Regularization*.

    Parameters
    ----------
    net : Network or list of Dense
        The model; its ``dW`` (views into ``net.grad``) are updated.
    l1, l2 : float
        :math:`\lambda_1, \lambda_2 \ge 0` (default 0).
    """
    l1 = _strength("l1", l1, "add_penalty_gradient")
    l2 = _strength("l2", l2, "add_penalty_gradient")
    for layer in _layers(net):
        xp = get_array_module(layer.W)
        if l2:
            layer.dW += (2.0 * l2) * layer.W
        if l1:
            layer.dW += l1 * xp.sign(layer.W)


def decay_mask(net):
    r"""A vector :math:`\mu` shaped like ``net.theta``: 1 at every weight of every :math:`W^{[l]}`, 0 at every bias.

    ``net.theta`` holds all :math:`W^{[l]}` and :math:`b^{[l]}` in one flat vector, so an
    optimizer that decays "the weights" needs to be told which entries they are:
    ``AdamW(weight_decay=0.01, mask=decay_mask(net))`` decays the weights and leaves the biases
    alone, like :func:`penalty`.  The mask is found through the layers' own views into
    ``theta`` (whatever the packing order), on ``theta``'s backend and dtype.

    .. math:: \mu_i = \begin{cases} 1 & \theta_i \text{ is an entry of some } W^{[l]} \\
              0 & \theta_i \text{ is an entry of some } b^{[l]} \end{cases}

    Shapes: returns an array of the shape of ``net.theta``, ``(P,)``.  Chapter: *Regularization*.
    """
    layers = _layers(net)
    theta = getattr(net, "theta", None)
    if theta is None:
        raise TypeError(f"decay_mask needs a Network (with a flat theta), got {type(net).__name__}")
    saved = theta.copy()
    try:
        theta[...] = 0
        for layer in layers:
            layer.W[...] = 1          # a view into theta: marks exactly the weight entries
        mask = theta.copy()
    finally:
        theta[...] = saved
    n_weights = sum(layer.W.size for layer in layers)
    if int(round(float(mask.sum()))) != n_weights:
        raise ValueError(f"decay_mask: the layers' W are not views into net.theta "
                         f"({int(round(float(mask.sum())))} of {n_weights} weights found)")
    return mask


class EarlyStopping:
    r"""Stop training when the validation loss has not improved for ``patience`` epochs, and keep the best parameters.

    An epoch *improves* when its validation loss is below the best so far by more than
    ``min_delta``:

    .. math:: J_{\text{val}}(t) < J_{\text{val}}^{\text{best}} - \delta

    Use::

        stopper = EarlyStopping(patience=10)
        for epoch in range(max_epochs):
            ...train one epoch...
            if stopper.update(val_loss, net):
                break   # net now holds the best epoch's parameters

    Chapter: *Regularization*.

    Parameters
    ----------
    patience : int
        Epochs without improvement tolerated before stopping (``>= 1``, default 5).
    min_delta : float
        Smallest decrease that counts as an improvement (``>= 0``, default 0).
    restore_best : bool
        On stopping, copy the best epoch's parameters back into the network (default ``True``).

    Attributes
    ----------
    best_loss : float
        Lowest validation loss seen (``inf`` before the first update).
    best_epoch : int or None
        Epoch index (0-based count of :meth:`update` calls) of ``best_loss``.
    stopped_epoch : int or None
        Epoch at which :meth:`update` first returned ``True``; ``None`` while training goes on.
    wait : int
        Epochs since the last improvement.
    best_theta : array or None
        Copy of ``net.theta`` at the best epoch.
    """

    def __init__(self, patience=5, min_delta=0.0, restore_best=True):
        self.patience = _count("patience", patience, "EarlyStopping")
        self.min_delta = _strength("min_delta", min_delta, "EarlyStopping")
        self.restore_best = bool(restore_best)
        self.reset()

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta!r}, "
                f"restore_best={self.restore_best}; best_loss={self.best_loss:.6g} at epoch "
                f"{self.best_epoch}, stopped_epoch={self.stopped_epoch})")

    def reset(self) -> None:
        """Forget everything (to reuse the object for a new training run)."""
        self.best_loss = math.inf
        self.best_epoch = None
        self.stopped_epoch = None
        self.wait = 0
        self.epoch = 0
        self.best_theta = None

    def update(self, val_loss, net=None) -> bool:
        """Record this epoch's validation loss; return ``True`` when training should stop.

        When the loss improves, a copy of ``net.theta`` is kept (if ``net`` is given).  When
        ``patience`` epochs pass without improvement, ``stopped_epoch`` is set, the best
        parameters are restored into ``net`` if ``restore_best``, and ``True`` is returned
        (and keeps being returned by later calls).  A NaN loss never counts as an improvement.
        """
        if self.stopped_epoch is not None:
            return True
        val_loss = float(val_loss)
        epoch, self.epoch = self.epoch, self.epoch + 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.wait = val_loss, epoch, 0
            if net is not None:
                self._snapshot(net)
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            if self.restore_best and net is not None and self.best_theta is not None:
                self.restore(net)
            return True
        return False

    def _snapshot(self, net) -> None:
        if self.best_theta is None or self.best_theta.shape != net.theta.shape \
                or get_array_module(self.best_theta) is not get_array_module(net.theta):
            self.best_theta = net.theta.copy()
        else:
            self.best_theta[...] = net.theta

    def restore(self, net) -> None:
        """Copy the best epoch's parameters back into ``net.theta`` (in place: layer views stay valid)."""
        if self.best_theta is None:
            raise RuntimeError("EarlyStopping.restore: no parameters saved yet "
                               "(pass the network to update())")
        if net.theta.shape != self.best_theta.shape:
            raise ValueError(f"EarlyStopping.restore: saved parameters have shape "
                             f"{self.best_theta.shape}, the network's theta {net.theta.shape}")
        net.theta[...] = self.best_theta
