r"""A multi-layer network of :class:`~nnbook.layers.Dense` layers, with its loss.

Forward propagation (caching every :math:`Z^{[l]}` and :math:`A^{[l]}`):

.. math:: A^{[0]} = X, \qquad Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad
          A^{[l]} = g^{[l]}(Z^{[l]}), \qquad l = 1, \dots, L

Backpropagation:

.. math:: dZ^{[L]} &= \frac{\partial J}{\partial Z^{[L]}}, \\
          dZ^{[l]} &= W^{[l+1]\top} dZ^{[l+1]} \odot g^{[l]\prime}(Z^{[l]}),
          \qquad l = L-1, \dots, 1, \\
          dW^{[l]} &= dZ^{[l]} A^{[l-1]\top}, \qquad db^{[l]} = dZ^{[l]} \mathbf 1

For a sigmoid output with binary cross-entropy, :math:`dZ^{[L]} = (A^{[L]} - Y)/m` exactly,
for every target :math:`y \in [0, 1]`.  For a softmax output with categorical
cross-entropy the exact output error is

.. math:: dZ^{[L]} = \frac1m\Big(A^{[L]} \odot \big(\mathbf 1\,\mathbf 1^\top Y\big) - Y\Big),
          \qquad \text{column } i:\ \frac1m\Big(\mathbf a^{(i)} \sum_k y_k^{(i)} - \mathbf y^{(i)}\Big),

which is the familiar :math:`(A^{[L]} - Y)/m` exactly when every column of :math:`Y` sums
to 1 (one-hot or normalised soft targets); for multi-hot or unnormalised targets the
shortcut would be wrong, so the general form is what is computed (one column sum more).
In both cases the cost is computed from the logits :math:`Z^{[L]}`, so neither can overflow
or take :math:`\log 0`.

Output activation and loss must fit: a probability loss (``"bce"``, ``"cce"``) needs an
output that produces what it expects (a sigmoid, hard sigmoid or step for ``"bce"``, a
softmax for ``"cce"``), a loss on logits needs a linear output; other pairs are refused.

All parameters live in one flat vector :attr:`Network.theta` (and all gradients in
:attr:`Network.grad`); each layer's ``W``, ``b``, ``dW``, ``db`` are views into them, so an
optimizer updates every parameter in one vectorized pass.

The book teaches this in the chapters *Forward propagation* and *Backpropagation*.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .backend import array_module, to_device
from .initializers import as_generator
from .layers import Dense
from .losses import get_loss
from ._validation import count as _count
from ._validation import float_dtype as _float_dtype

__all__ = ["Network", "count_parameters"]

_OUTPUT_FOR_LOSS = {
    "binary_cross_entropy": "sigmoid",
    "categorical_cross_entropy": "softmax",
}
# (output activation, loss) pairs whose dZ^[L] comes straight from A and Y (see output_delta)
# and whose cost is computed stably from the logits
_FUSED = {
    ("sigmoid", "binary_cross_entropy"): "binary_cross_entropy_with_logits",
    ("softmax", "categorical_cross_entropy"): "softmax_cross_entropy",
}


# outputs (by activation name) whose values a probability loss accepts
_PROBABILITY_OUTPUTS = {
    "binary_cross_entropy": ("sigmoid", "piecewise_linear", "step"),   # each unit in [0, 1]
    "categorical_cross_entropy": ("softmax",),                         # columns sum to 1
}


def _check_output_for_loss(out_name: str, loss_name: str, n_L: int) -> None:
    """Refuse a built-in output activation that cannot produce what the loss expects.

    A probability loss needs outputs in its domain (see ``_PROBABILITY_OUTPUTS``); a custom
    activation (a name nnbook does not know) is let through: the loss checks its values.
    """
    from .activations import ACTIVATION_NAMES
    allowed = _PROBABILITY_OUTPUTS.get(loss_name)
    if allowed is None or out_name in allowed or out_name not in ACTIVATION_NAMES:
        return
    need = ("probabilities in [0, 1] for each output unit" if loss_name == "binary_cross_entropy"
            else f"a probability distribution over the {n_L} output units (columns summing to 1)")
    raise ValueError(
        f"loss {loss_name!r} needs {need}, which a {out_name!r} output does not produce: use "
        f"output={allowed[0]!r}"
        + (", or a linear output with loss='bce_logits'" if loss_name == "binary_cross_entropy"
           else ", or a linear output with loss='softmax_cross_entropy'")
        + " (or a regression loss such as 'mse')"
    )


def count_parameters(sizes: Sequence[int]) -> int:
    r"""Number of weights and biases of a dense network with layer sizes ``sizes``.

    .. math:: P = \sum_{l=1}^{L} \big(n_l\, n_{l-1} + n_l\big)

    Example: ``count_parameters([784, 128, 64, 10])`` is 109,386.
    Chapter: *Forward propagation*.

    Shapes: ``sizes`` is ``[n_0, n_1, ..., n_L]``; returns an int.
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
    for l, n in enumerate(sizes):
        _count(f"count_parameters: sizes[{l}]", n)
    return sum(n * n_prev + n for n_prev, n in zip(sizes[:-1], sizes[1:]))


class Network:
    r"""A fully connected feed-forward network :math:`n_0 \to n_1 \to \dots \to n_L` with a loss.

    Shapes: ``X`` ``(n_0, m)`` → :math:`A^{[L]}` ``(n_L, m)``.
    Chapters: *Forward propagation*, *Backpropagation*.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_0, n_1, ..., n_L]``: inputs, hidden layers, outputs.
    hidden : str
        Activation of every hidden layer (default ``"relu"``).
    output : str, optional
        Activation of the output layer.  Default: ``"sigmoid"`` for binary cross-entropy,
        ``"softmax"`` for categorical cross-entropy, ``"linear"`` otherwise.
    loss : str
        ``"mse"``, ``"bce"``, ``"cce"``, ... (see :func:`nnbook.losses.get_loss`).
    activations : sequence of str, optional
        One activation per layer; overrides ``hidden`` and ``output``.
    init : str or callable, optional
        Weight initializer for every layer (default: He for ReLU layers, Xavier otherwise).
    seed : int or numpy.random.Generator
        Seed of the weight initialization (default 0): same seed, same network, on every backend.
    dtype : numpy dtype
        ``float64`` (default) or ``float32``.
    device : {"cpu", "gpu"}
        NumPy or CuPy parameters.
    alpha : float
        Negative slope of leaky ReLU layers.
    loss_kwargs : dict, optional
        Extra arguments of the loss (``{"half": True}`` for MSE, ``{"delta": 2.0}`` for Huber).
    dropout : float or sequence of float
        Dropout probability :math:`p \in [0, 1)` of every *hidden* layer's output (one float),
        or one value per hidden layer (a list of ``L - 1`` floats).  Never applied to the
        output layer.  Default 0 (no dropout).  It acts only in ``forward(X, training=True)``;
        each layer draws its masks from its own generator derived from ``seed``.
    dropout_mode : {"inverted", "classic"}
        Scale by :math:`1/(1-p)` in training (``"inverted"``, default) or by :math:`1-p` at
        test time (``"classic"``, the sources' form); see :class:`~nnbook.layers.Dense`.
    batchnorm : bool or sequence of bool
        Batch normalization before the activation of every *hidden* layer (``True``), or one
        flag per hidden layer (a list of ``L - 1`` bools); never on the output layer.  Such a
        layer has parameters ``W``, ``gamma``, ``beta`` and no bias (see
        :class:`~nnbook.layers.BatchNorm`); it uses batch statistics in
        ``forward(X, training=True)`` and its running statistics otherwise.  Default ``False``.
    bn_momentum, bn_eps : float
        ``momentum`` (weight of the old running value, default 0.9) and ``eps`` (default
        ``1e-5``) of every :class:`~nnbook.layers.BatchNorm`.

    Examples
    --------
    >>> import numpy as np, nnbook as nb
    >>> net = nb.Network([2, 2, 1], hidden="sigmoid", output="sigmoid",
    ...                  loss="bce")
    >>> net.forward(np.array([[0.5], [0.8]])).shape
    (1, 1)
    """

    def __init__(self, sizes, hidden="relu", output=None, loss="mse", activations=None,
                 init=None, seed=0, dtype=np.float64, device="cpu", alpha=0.01, loss_kwargs=None,
                 dropout=0.0, dropout_mode="inverted", batchnorm=False, bn_momentum=0.9,
                 bn_eps=1e-5):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
        dtype = _float_dtype(dtype, "Network")
        self.loss_fn = get_loss(loss, **(loss_kwargs or {}))
        L = len(sizes) - 1
        if activations is None:
            out = output or _OUTPUT_FOR_LOSS.get(self.loss_fn.name, "linear")
            activations = [hidden] * (L - 1) + [out]
        activations = list(activations)
        if len(activations) != L:
            raise ValueError(
                f"need one activation per layer: {L} layers but {len(activations)} activations"
            )
        if isinstance(dropout, (list, tuple)):
            if len(dropout) != L - 1:
                raise ValueError(f"dropout: need one probability per hidden layer ({L - 1}), "
                                 f"got {len(dropout)}: {list(dropout)}")
            drops = list(dropout) + [0.0]
        else:
            drops = [dropout] * (L - 1) + [0.0]  # never on the output layer
        if isinstance(batchnorm, (list, tuple)):
            if len(batchnorm) != L - 1:
                raise ValueError(f"batchnorm: need one flag per hidden layer ({L - 1}), "
                                 f"got {len(batchnorm)}: {list(batchnorm)}")
            bns = list(batchnorm) + [False]
        else:
            bns = [batchnorm] * (L - 1) + [False]  # never on the output layer
        rng = as_generator(seed)
        self.sizes, self.device, self.dtype = sizes, device, np.dtype(dtype)
        self.layers = [
            Dense(n_prev, n, act, init=init, rng=rng, dtype=dtype, device=device, alpha=alpha,
                  dropout=p, dropout_mode=dropout_mode, batchnorm=bn, bn_momentum=bn_momentum,
                  bn_eps=bn_eps)
            for n_prev, n, act, p, bn in zip(sizes[:-1], sizes[1:], activations, drops, bns)
        ]
        out_name = self.layers[-1].g.name
        if out_name == "softmax" and self.loss_fn.name not in ("categorical_cross_entropy",):
            raise ValueError(
                f"a softmax output goes with loss='categorical_cross_entropy', got {self.loss_fn.name!r}"
            )
        if self.loss_fn.on_logits and out_name != "linear":
            raise ValueError(
                f"loss {self.loss_fn.name!r} takes logits, so the output layer must be 'linear' "
                f"(got {out_name!r}, which would apply the activation twice); or keep "
                f"output={out_name!r} with the loss on probabilities, which nnbook fuses stably"
            )
        _check_output_for_loss(out_name, self.loss_fn.name, sizes[-1])
        fused = _FUSED.get((out_name, self.loss_fn.name))
        self._fused_loss = get_loss(fused) if fused else None
        self._pack_parameters()

    # -- parameters ----------------------------------------------------------------------
    def _pack_parameters(self) -> None:
        """Move every W, b (gamma, beta) into one flat vector ``theta`` (gradients into ``grad``) as views."""
        xp = array_module(self.device)
        P = sum(layer.n_params for layer in self.layers)
        self.theta = xp.empty(P, dtype=self.dtype)
        self.grad = xp.zeros(P, dtype=self.dtype)
        offset = 0
        for layer in self.layers:
            for name, owner in layer.param_slots():  # W, b; or W, gamma, beta with batchnorm
                p = getattr(owner, name)
                view = self.theta[offset:offset + p.size].reshape(p.shape)
                view[...] = p
                setattr(owner, name, view)
                setattr(owner, "d" + name, self.grad[offset:offset + p.size].reshape(p.shape))
                offset += p.size

    @property
    def L(self) -> int:
        """Number of layers with parameters (the input layer is not counted)."""
        return len(self.layers)

    @property
    def n_params(self) -> int:
        r"""Number of parameters :math:`\sum_l (n_l n_{l-1} + n_l)`."""
        return int(self.theta.size)

    def parameters(self) -> list:
        """``[W1, b1, W2, b2, ...]``: views into :attr:`theta` (write to them in place).

        A batch-normalized layer contributes ``W, gamma, beta`` instead of ``W, b``.
        """
        return [getattr(owner, name) for layer in self.layers for name, owner in layer.param_slots()]

    def gradients(self) -> list:
        """``[dW1, db1, dW2, db2, ...]``: views into :attr:`grad`, filled by :meth:`backward`."""
        return [getattr(owner, "d" + name) for layer in self.layers
                for name, owner in layer.param_slots()]

    def named_parameters(self) -> list[tuple[str, object, object]]:
        """``[("W1", W1, dW1), ("b1", b1, db1), ...]`` with 1-based layer numbers as in the book.

        A batch-normalized layer ``l`` gives ``W{l}``, ``gamma{l}``, ``beta{l}``.
        """
        return [(f"{name}{l}", getattr(owner, name), getattr(owner, "d" + name))
                for l, layer in enumerate(self.layers, start=1)
                for name, owner in layer.param_slots()]

    def named_buffers(self) -> list[tuple[str, object]]:
        """``[("running_mean1", mu1), ("running_var1", var1), ...]``: the batch-norm running statistics.

        They are state, not parameters: not in :attr:`theta`, never touched by an optimizer,
        updated by every ``forward(X, training=True)``; saved with the network.
        """
        return [(f"{name}{l}", getattr(layer.bn, name))
                for l, layer in enumerate(self.layers, start=1) if layer.bn is not None
                for name in ("running_mean", "running_var")]

    def __repr__(self) -> str:
        arch = " -> ".join(str(n) for n in self.sizes)
        acts = ", ".join(layer.g.name for layer in self.layers)
        return (f"Network({arch}; activations: {acts}; loss: {self.loss_fn.name}; "
                f"{self.n_params:,} parameters; {self.dtype}, {self.device})")

    def activation_memory(self, batch_size: int, dtype=None) -> int:
        r"""Bytes of activations the forward pass keeps for backpropagation, for a batch of ``m``.

        .. math:: \text{bytes} = \Big(n_0 + 2\sum_{l=1}^{L} n_l\Big)\, m \cdot \text{itemsize}

        (the input :math:`A^{[0]}`, and :math:`Z^{[l]}` and :math:`A^{[l]}` for every layer).
        Parameters, gradients and optimizer state come on top of this.
        Chapter: *Forward propagation*.
        """
        batch_size = _count("batch_size", batch_size, "Network.activation_memory")
        itemsize = np.dtype(dtype or self.dtype).itemsize
        return (self.sizes[0] + 2 * sum(self.sizes[1:])) * int(batch_size) * itemsize

    # -- forward, cost, backward ---------------------------------------------------------
    def forward(self, X, training: bool = False):
        r"""Forward propagation; caches every layer's ``A_prev``, ``Z``, ``A``; returns :math:`A^{[L]}`.

        ``X`` is moved to the network's device and cast to its dtype if needed; it must be
        finite (a NaN would silently poison every later number).  ``training=True`` marks a
        training step (it switches on dropout where layers have it).

        Shapes: ``X`` ``(n_0, m)`` → ``(n_L, m)``.
        """
        xp = array_module(self.device)
        if not hasattr(X, "shape"):
            X = np.asarray(X)
        X = to_device(X, self.device, self.dtype) if X.dtype != self.dtype or xp is not np else X
        self.layers[0].check_input(X)
        if not bool(xp.isfinite(X).all()):
            raise ValueError("Network.forward: X contains NaN or infinity")
        A = X
        for layer in self.layers:
            A = layer.forward(A, training=training)
        return A

    __call__ = forward

    def predict(self, X):
        """The network's output :math:`A^{[L]}` for ``X`` (same as :meth:`forward`)."""
        return self.forward(X)

    def _targets(self, Y):
        out = self.layers[-1]
        if out.A is None:
            raise RuntimeError("call forward(X) before cost(Y) or backward(Y)")
        xp = array_module(self.device)
        Y = to_device(Y, self.device, self.dtype) if getattr(Y, "dtype", None) != self.dtype \
            or xp is not np else Y
        if Y.shape != out.A.shape:
            hint = ""
            if Y.ndim == 1 or (Y.ndim == 2 and Y.shape[::-1] == out.A.shape):
                hint = (": targets are (n_L, m), samples in columns; labels for a softmax "
                        "output must be one-hot encoded")
            raise ValueError(
                f"targets Y have shape {Y.shape} but the output layer {out!r} produced "
                f"{out.A.shape}{hint}"
            )
        return Y

    def cost(self, Y) -> float:
        r"""The cost :math:`J` of the last :meth:`forward` against targets ``Y`` ``(n_L, m)``."""
        Y = self._targets(Y)
        out = self.layers[-1]
        if self._fused_loss is not None:
            return self._fused_loss.value(out.Z, Y)
        return self.loss_fn.value(out.A, Y)

    def output_delta(self, Y):
        r""":math:`dZ^{[L]} = \partial J / \partial Z^{[L]}` for the last :meth:`forward`.

        For a sigmoid output with binary cross-entropy it is :math:`(A^{[L]} - Y)/m`, exact
        for any targets in :math:`[0, 1]`.  For a softmax output with categorical
        cross-entropy it is :math:`\frac1m(A^{[L]} \odot \mathbf 1\mathbf 1^\top Y - Y)`,
        which equals :math:`(A^{[L]} - Y)/m` when each column of ``Y`` sums to 1 and stays
        exact for multi-hot or unnormalised targets.  Otherwise the loss gradient
        :math:`dA^{[L]}` is pushed through the output activation.
        """
        Y = self._targets(Y)
        out = self.layers[-1]
        if self._fused_loss is not None:
            if out.g.name == "softmax":  # exact for any column sums; (A - Y)/m if they are 1
                dZ = out.A * Y.sum(axis=0, keepdims=True)  # (bit-identical to A - Y for one-hot)
                dZ -= Y
                dZ /= Y.shape[1]
                return dZ
            return (out.A - Y) / Y.shape[1]
        dA = self.loss_fn.grad(out.A, Y)
        return out.g.backward(dA, out.Z, out.A)

    def backward(self, Y):
        r"""Backpropagation from targets ``Y`` ``(n_L, m)``; fills every ``dW``, ``db`` (and :attr:`grad`).

        Returns :math:`dZ^{[L]}`.
        """
        dZ = self.output_delta(Y)
        dA = self.layers[-1].backward(dZ=dZ, need_dA_prev=self.L > 1)
        for l in range(self.L - 2, -1, -1):
            dA = self.layers[l].backward(dA, need_dA_prev=l > 0)
        return dZ

    def loss_and_grad(self, X, Y, training: bool = False) -> float:
        """Forward, cost and backward in one call; returns :math:`J` (gradients in :attr:`grad`).

        ``X`` and ``Y`` each go to the network's device once (cost and backward share the
        converted targets).
        """
        self.forward(X, training=training)
        Y = self._targets(Y)
        J = self.cost(Y)
        self.backward(Y)
        return J

    def set_parameters(self, params) -> None:
        """Copy ``[W1, b1, W2, b2, ...]`` (e.g. hand-chosen values) into the network, checking shapes."""
        mine = self.parameters()
        params = list(params)
        if len(params) != len(mine):
            raise ValueError(f"expected {len(mine)} arrays [W1, b1, ...], got {len(params)}")
        checked = []
        for (name, p, _), new in zip(self.named_parameters(), params):
            new = to_device(new, self.device, self.dtype)
            if new.shape != p.shape:
                # a scalar or vector of the right size is reshaped (b1 = [0.1, 0.2], b2 = 0.3);
                # a matrix of another shape is an error, never silently reshaped (W.T!)
                if new.ndim < 2 and new.size == p.size:
                    new = new.reshape(p.shape)
                else:
                    hint = ": transposed?" if new.shape == p.shape[::-1] else ""
                    raise ValueError(f"{name} has shape {p.shape}, got {new.shape}{hint}")
            if not bool(array_module(self.device).isfinite(new).all()):
                raise ValueError(f"set_parameters: {name} contains NaN or infinity; parameters "
                                 "must be finite (nothing was copied)")
            checked.append((p, new))
        for p, new in checked:  # every array checked first: a failed call changes nothing
            p[...] = new
