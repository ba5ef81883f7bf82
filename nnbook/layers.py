r"""The dense (fully connected) layer: forward and backward, written as the book writes them.

.. math::

   Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}(Z^{[l]})

   dZ^{[l]} = dA^{[l]} \odot g^{[l]\prime}(Z^{[l]}), \quad
   dW^{[l]} = dZ^{[l]} A^{[l-1]\top}, \quad
   db^{[l]} = \textstyle\sum_{i} dZ^{[l](i)}, \quad
   dA^{[l-1]} = W^{[l]\top} dZ^{[l]}

Samples are columns: ``A_prev`` is ``(n_{l-1}, m)``, ``W`` is ``(n_l, n_{l-1})``, ``b`` is
``(n_l, 1)``.  The incoming ``dA`` is already divided by ``m`` (the loss did it), so the
layer never divides again.

The book teaches this in the chapters *Forward propagation* and *Backpropagation*.
"""
from __future__ import annotations

import numpy as np

from .activations import get_activation
from .backend import array_module, get_array_module, to_device
from .initializers import default_initializer, get_initializer

__all__ = ["Dense"]


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class Dense:
    r"""A fully connected layer :math:`A = g(W A_{\text{prev}} + b)`.

    Parameters
    ----------
    n_in, n_out : int
        :math:`n_{l-1}` and :math:`n_l`.
    activation : str or Activation
        ``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"linear"``, ``"softmax"``, ... (see
        :func:`nnbook.activations.get_activation`).
    init : str or callable, optional
        Weight initializer (see :mod:`nnbook.initializers`); default He normal for the ReLU
        family, Xavier normal otherwise.  Biases start at zero.
    rng : int or numpy.random.Generator, optional
        Seed or generator for the weights (default seed 0).
    dtype : numpy dtype
        ``float64`` (default, exact gradient checks) or ``float32``.
    device : {"cpu", "gpu"}
        Where the parameters live (NumPy or CuPy arrays).
    alpha : float
        Negative slope of ``"leaky_relu"``.

    Attributes
    ----------
    W, b : arrays ``(n_out, n_in)`` and ``(n_out, 1)``
        Parameters.
    dW, db : arrays of the same shapes
        Gradients of the cost, written by :meth:`backward`.
    A_prev, Z, A : arrays
        The cache of the last :meth:`forward`, kept for :meth:`backward`.

    Shapes: ``A_prev`` ``(n_in, m)`` → ``A`` ``(n_out, m)``.
    Chapters: *Forward propagation*, *Backpropagation*.
    """

    def __init__(self, n_in, n_out, activation="relu", init=None, rng=None,
                 dtype=np.float64, device="cpu", alpha=0.01):
        self.n_in = _positive_int("n_in", n_in)
        self.n_out = _positive_int("n_out", n_out)
        self.g = get_activation(activation, alpha=alpha)
        self.init = init or default_initializer(self.g.name)
        xp = array_module(device)
        self.device, self.dtype = device, np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"dtype must be a floating type (float32 or float64), got {self.dtype}")
        W0 = get_initializer(self.init)((self.n_out, self.n_in), rng)
        self.W = to_device(W0, device, self.dtype)
        self.b = xp.zeros((self.n_out, 1), dtype=self.dtype)
        self.dW = xp.zeros_like(self.W)
        self.db = xp.zeros_like(self.b)
        self.A_prev = self.Z = self.A = None

    def __repr__(self) -> str:
        return f"Dense({self.n_in} -> {self.n_out}, {self.g.name})"

    @property
    def n_params(self) -> int:
        """Number of parameters: :math:`n_l n_{l-1} + n_l`."""
        return self.n_out * self.n_in + self.n_out

    def check_input(self, A_prev) -> None:
        """Raise a ``ValueError`` that names the layer if ``A_prev`` is not ``(n_in, m)``."""
        shape = getattr(A_prev, "shape", None)
        if shape is None or len(shape) != 2 or shape[0] != self.n_in:
            hint = ""
            if shape is not None and len(shape) == 2 and shape[1] == self.n_in:
                hint = ": are samples in columns? pass X.T"
            elif shape is not None and len(shape) == 1:
                hint = ": a single sample is a column, reshape it to (n, 1)"
            raise ValueError(
                f"{self!r} expected A_prev with {self.n_in} rows, got shape {shape}{hint}"
            )

    def forward(self, A_prev, training: bool = False):
        r"""Forward pass :math:`Z = W A_{\text{prev}} + b`, :math:`A = g(Z)`; caches ``A_prev, Z, A``.

        ``training`` says whether this pass is part of a training step (it switches on
        dropout where a layer has it); the default ``False`` is inference.

        Shapes: ``A_prev`` ``(n_in, m)`` → returns ``A`` ``(n_out, m)``.
        """
        self.check_input(A_prev)
        Z = self.W @ A_prev + self.b
        A = self.g.forward(Z)
        self.A_prev, self.Z, self.A = A_prev, Z, A
        return A

    def backward(self, dA=None, dZ=None, need_dA_prev=True):
        r"""Backward pass from ``dA`` (or directly from ``dZ``); fills ``dW`` and ``db``.

        .. math:: dZ = dA \odot g'(Z), \quad dW = dZ\,A_{\text{prev}}^\top, \quad
                  db = dZ\,\mathbf 1, \quad dA_{\text{prev}} = W^\top dZ

        Give ``dZ`` instead of ``dA`` when the loss already produced it (sigmoid with binary
        cross-entropy, softmax with categorical cross-entropy: :math:`dZ = (A - Y)/m`).
        With ``need_dA_prev=False`` (the first layer) the product :math:`W^\top dZ` is skipped
        and ``None`` is returned.

        Shapes: ``dA`` / ``dZ`` ``(n_out, m)`` → returns ``dA_prev`` ``(n_in, m)``.
        """
        if self.Z is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        if dZ is None:
            if dA is None:
                raise ValueError(f"{self!r}: backward() needs dA or dZ")
            dZ = self.g.backward(dA, self.Z, self.A)
        if dZ.shape != self.Z.shape:
            raise ValueError(f"{self!r}: expected dA/dZ of shape {self.Z.shape}, got {dZ.shape}")
        xp = get_array_module(dZ)
        xp.matmul(dZ, self.A_prev.T, out=self.dW)    # dW = dZ A_prev^T
        dZ.sum(axis=1, keepdims=True, out=self.db)   # db = sum over the samples of dZ
        self.dZ = dZ
        return self.W.T @ dZ if need_dA_prev else None  # dA_prev = W^T dZ
