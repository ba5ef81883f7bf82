r"""A multi-layer network of :class:`~nnbook.layers.Dense` layers, with its loss.

Forward propagation (caching every :math:`Z^{[l]}` and :math:`A^{[l]}`):

.. math:: A^{[0]} = X, \qquad Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad
          A^{[l]} = g^{[l]}(Z^{[l]}), \qquad l = 1, \dots, L

Backpropagation:

.. math:: dZ^{[L]} &= \frac{\partial J}{\partial Z^{[L]}}, \\
          dZ^{[l]} &= W^{[l+1]\top} dZ^{[l+1]} \odot g^{[l]\prime}(Z^{[l]}),
          \qquad l = L-1, \dots, 1, \\
          dW^{[l]} &= dZ^{[l]} A^{[l-1]\top}, \qquad db^{[l]} = dZ^{[l]} \mathbf 1

For a sigmoid output with binary cross-entropy, and for a softmax output with categorical
cross-entropy, :math:`dZ^{[L]} = (A^{[L]} - Y)/m` exactly, and the cost is computed from the
logits :math:`Z^{[L]}`, so neither can overflow or take :math:`\log 0`.

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

__all__ = ["Network", "count_parameters"]

_OUTPUT_FOR_LOSS = {
    "binary_cross_entropy": "sigmoid",
    "categorical_cross_entropy": "softmax",
}
# (output activation, loss) pairs whose dZ^[L] is (A - Y)/m, computed stably from the logits
_FUSED = {
    ("sigmoid", "binary_cross_entropy"): "binary_cross_entropy_with_logits",
    ("softmax", "categorical_cross_entropy"): "softmax_cross_entropy",
}


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
                 dropout=0.0, dropout_mode="inverted"):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
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
        rng = as_generator(seed)
        self.sizes, self.device, self.dtype = sizes, device, np.dtype(dtype)
        self.layers = [
            Dense(n_prev, n, act, init=init, rng=rng, dtype=dtype, device=device, alpha=alpha,
                  dropout=p, dropout_mode=dropout_mode)
            for n_prev, n, act, p in zip(sizes[:-1], sizes[1:], activations, drops)
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
        fused = _FUSED.get((out_name, self.loss_fn.name))
        self._fused_loss = get_loss(fused) if fused else None
        self._pack_parameters()

    # -- parameters ----------------------------------------------------------------------
    def _pack_parameters(self) -> None:
        """Move every W, b into one flat vector ``theta`` (and dW, db into ``grad``) as views."""
        xp = array_module(self.device)
        P = sum(layer.n_params for layer in self.layers)
        self.theta = xp.empty(P, dtype=self.dtype)
        self.grad = xp.zeros(P, dtype=self.dtype)
        offset = 0
        for layer in self.layers:
            for name in ("W", "b"):
                p = getattr(layer, name)
                view = self.theta[offset:offset + p.size].reshape(p.shape)
                view[...] = p
                setattr(layer, name, view)
                setattr(layer, "d" + name, self.grad[offset:offset + p.size].reshape(p.shape))
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
        """``[W1, b1, W2, b2, ...]``: views into :attr:`theta` (write to them in place)."""
        return [p for layer in self.layers for p in (layer.W, layer.b)]

    def gradients(self) -> list:
        """``[dW1, db1, dW2, db2, ...]``: views into :attr:`grad`, filled by :meth:`backward`."""
        return [g for layer in self.layers for g in (layer.dW, layer.db)]

    def named_parameters(self) -> list[tuple[str, object, object]]:
        """``[("W1", W1, dW1), ("b1", b1, db1), ...]`` with 1-based layer numbers as in the book."""
        out = []
        for l, layer in enumerate(self.layers, start=1):
            out += [(f"W{l}", layer.W, layer.dW), (f"b{l}", layer.b, layer.db)]
        return out

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
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
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

        For the fused pairs it is :math:`(A^{[L]} - Y)/m`; otherwise the loss gradient
        :math:`dA^{[L]}` is pushed through the output activation.
        """
        Y = self._targets(Y)
        out = self.layers[-1]
        if self._fused_loss is not None:
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
        """Forward, cost and backward in one call; returns :math:`J` (gradients in :attr:`grad`)."""
        self.forward(X, training=training)
        J = self.cost(Y)
        self.backward(Y)
        return J

    def set_parameters(self, params) -> None:
        """Copy ``[W1, b1, W2, b2, ...]`` (e.g. hand-chosen values) into the network, checking shapes."""
        mine = self.parameters()
        params = list(params)
        if len(params) != len(mine):
            raise ValueError(f"expected {len(mine)} arrays [W1, b1, ...], got {len(params)}")
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
            p[...] = new
