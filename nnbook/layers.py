r"""The dense (fully connected) layer: forward and backward, written as the book writes them.

.. math::

   Z^{[l]} &= W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}(Z^{[l]}), \\
   dZ^{[l]} &= dA^{[l]} \odot g^{[l]\prime}(Z^{[l]}), \qquad dW^{[l]} = dZ^{[l]} A^{[l-1]\top}, \\
   db^{[l]} &= \textstyle\sum_{i} dZ^{[l](i)}, \qquad dA^{[l-1]} = W^{[l]\top} dZ^{[l]}

Samples are columns: ``A_prev`` is ``(n_{l-1}, m)``, ``W`` is ``(n_l, n_{l-1})``, ``b`` is
``(n_l, 1)``.  The incoming ``dA`` is already divided by ``m`` (the loss did it), so the
layer never divides again.

With dropout (probability :math:`p` of dropping a unit, keep-mask :math:`r \sim
\text{Bernoulli}(1-p)` drawn afresh at every training pass) the layer outputs
:math:`r \odot A / (1-p)` in training and :math:`A` at test time (``"inverted"``, the
default), or :math:`r \odot A` in training and :math:`(1-p) A` at test time (``"classic"``).

With batch normalization (``batchnorm=True``) a :class:`BatchNorm` step sits between
:math:`Z` and the activation, :math:`A = g(\operatorname{BN}_{\gamma,\beta}(W A_{\text{prev}}))`,
and the layer has no learned bias (``b`` stays 0): :math:`\beta` takes its place (a bias would be subtracted again
with the batch mean, so its gradient would be exactly 0).

The book teaches this in the chapters *Forward propagation* and *Backpropagation*; dropout
in *Regularization*; batch normalization in *Initialization and normalization*.
"""
from __future__ import annotations

import numpy as np

from .activations import get_activation
from .backend import array_module, get_array_module, to_device
from .initializers import as_generator, default_initializer, get_initializer
from ._validation import float_dtype as _float_dtype

__all__ = ["Dense", "BatchNorm"]


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


_DROPOUT_MODES = ("inverted", "classic")


def _child_generator(rng) -> np.random.Generator:
    """An independent Generator derived from ``rng``'s seed, without drawing from ``rng``."""
    gen = as_generator(rng)
    try:
        return gen.spawn(1)[0]
    except AttributeError:  # NumPy < 1.25 has no Generator.spawn
        return np.random.default_rng(gen.bit_generator._seed_seq.spawn(1)[0])


class Dense:
    r"""A fully connected layer :math:`A = g(W A_{\text{prev}} + b)`.

    Shapes: ``A_prev`` ``(n_in, m)`` → ``A`` ``(n_out, m)``.
    Chapters: *Forward propagation*, *Backpropagation*.

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
    dropout : float
        Probability :math:`p \in [0, 1)` of dropping each output unit in a training pass
        (default 0: no dropout) :cite:p:`srivastava2014dropout`.
    dropout_mode : {"inverted", "classic"}
        Where the factor :math:`1-p` goes.  ``"inverted"`` (default, what PyTorch and Keras
        do): training output :math:`A \odot r/(1-p)`, test output :math:`A`.  ``"classic"``
        (the sources' form): training output :math:`A \odot r`, test output
        :math:`(1-p) A`.  The sources draw :math:`r \sim \text{Bernoulli}(p)` with
        :math:`p` the *keep* probability and scale the next layer's weights by it at test
        time; that is the classic form with their :math:`p` equal to :math:`1-p` here (a
        weight scaled by :math:`1-p` multiplies the same pre-activation as an activation
        scaled by :math:`1-p`).  In both forms the expected training output equals the test
        output.
    batchnorm : bool
        Put a :class:`BatchNorm` step between :math:`Z` and the activation (default ``False``).
        The layer then has no learned bias (``b`` stays a constant 0 and ``db`` is ``None``):
        its parameters are ``W``, ``gamma``, ``beta``.
    bn_momentum, bn_eps : float
        ``momentum`` and ``eps`` of that :class:`BatchNorm` (defaults 0.9 and ``1e-5``).

    Attributes
    ----------
    W, b : array
        Parameters, of shapes ``(n_out, n_in)`` and ``(n_out, 1)`` (with ``batchnorm``,
        ``b`` is a constant 0, not a parameter).
    bn : BatchNorm or None
        The batch-normalization step; its ``gamma``, ``beta`` are the layer's too.
    Z_tilde : array or None
        With ``batchnorm``, the normalized :math:`\tilde Z` the activation was applied to.
    dW, db : array
        Gradients of the cost, of the same shapes, written by :meth:`backward`.
    A_prev, Z, A : array
        The cache of the last :meth:`forward`, kept for :meth:`backward`.  ``A`` is
        :math:`g(Z)` *before* dropout; the layer returns the dropped-out output.
    dZ : array or None
        The error term :math:`dZ = \partial J/\partial Z` of the last :meth:`backward`
        (``None`` before it).
    mask : array or None
        The keep-mask :math:`r` (0s and 1s, shape of ``A``) of the last training pass with
        dropout; ``None`` otherwise.
    dropout_rng : numpy.random.Generator
        The layer's own generator for the masks, derived from ``rng`` (so the same seed gives
        the same masks, on every backend; masks are drawn on the host).
    """

    def __init__(self, n_in, n_out, activation="relu", init=None, rng=None,
                 dtype=np.float64, device="cpu", alpha=0.01, dropout=0.0, dropout_mode="inverted",
                 batchnorm=False, bn_momentum=0.9, bn_eps=1e-5):
        self.n_in = _positive_int("n_in", n_in)
        self.n_out = _positive_int("n_out", n_out)
        self.g = get_activation(activation, alpha=alpha)
        self.init = init or default_initializer(self.g.name)
        xp = array_module(device)
        self.device, self.dtype = device, _float_dtype(dtype, "Dense")
        W0 = get_initializer(self.init)((self.n_out, self.n_in), rng)
        self.W = to_device(W0, device, self.dtype)
        self.dW = xp.zeros_like(self.W)
        if not isinstance(batchnorm, (bool, np.bool_)):
            raise ValueError(f"batchnorm must be True or False, got {batchnorm!r}")
        self.bn = BatchNorm(self.n_out, bn_momentum, bn_eps, self.dtype, device) if batchnorm \
            else None
        self.b = xp.zeros((self.n_out, 1), dtype=self.dtype)
        # with batch norm, beta replaces the bias: b stays a constant 0, not a parameter
        self.db = xp.zeros_like(self.b) if self.bn is None else None
        self.A_prev = self.Z = self.A = self.dZ = self.Z_tilde = None
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.integer, np.floating)) \
                or not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1), got {dropout!r}")
        if dropout_mode not in _DROPOUT_MODES:
            raise ValueError(f"dropout_mode must be 'inverted' or 'classic', got {dropout_mode!r}")
        self.dropout, self.dropout_mode = float(dropout), dropout_mode
        self.dropout_rng = _child_generator(rng)
        self.mask, self._scale = None, 1.0

    def __repr__(self) -> str:
        drop = f", dropout={self.dropout:g} ({self.dropout_mode})" if self.dropout else ""
        bn = ", batchnorm" if self.bn is not None else ""
        return f"Dense({self.n_in} -> {self.n_out}, {self.g.name}{bn}{drop})"

    @property
    def n_params(self) -> int:
        """Number of parameters: :math:`n_l n_{l-1} + n_l` (:math:`n_l n_{l-1} + 2 n_l` with batchnorm)."""
        return self.n_out * self.n_in + (2 * self.n_out if self.bn is not None else self.n_out)

    def param_slots(self) -> list:
        """``[(name, owner), ...]``: each parameter is ``getattr(owner, name)``, its gradient ``"d" + name``.

        ``[("W", self), ("b", self)]``, or ``[("W", self), ("gamma", bn), ("beta", bn)]``
        with batchnorm.
        """
        if self.bn is None:
            return [("W", self), ("b", self)]
        return [("W", self), ("gamma", self.bn), ("beta", self.bn)]

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
                f"Dense({self.n_in} -> {self.n_out}) expected A_prev with {self.n_in} rows, "
                f"got shape {shape}{hint}"
            )

    def forward(self, A_prev, training: bool = False):
        r"""Forward pass :math:`Z = W A_{\text{prev}} + b`, :math:`A = g(Z)`; caches ``A_prev, Z, A``.

        ``training`` says whether this pass is part of a training step (it switches on
        dropout where a layer has it); the default ``False`` is inference.

        With dropout :math:`p > 0` the returned output is :math:`A \odot r / (1-p)` in training
        and :math:`A` at test time (``"inverted"``), or :math:`A \odot r` in training and
        :math:`(1-p) A` at test time (``"classic"``), with a fresh mask
        :math:`r \sim \text{Bernoulli}(1-p)` per training pass.

        Shapes: ``A_prev`` ``(n_in, m)`` → returns ``A`` ``(n_out, m)``.
        """
        self.check_input(A_prev)
        Z = self.W @ A_prev + self.b
        if self.bn is not None:                      # batch norm between Z and g: g(BN(Z))
            self.Z_tilde = self.bn.forward(Z, training=training)
            A = self.g.forward(self.Z_tilde)
        else:
            A = self.g.forward(Z)
        self.A_prev, self.Z, self.A = A_prev, Z, A
        self.mask, self._scale = None, 1.0
        if self.dropout == 0.0:
            return A
        p = self.dropout
        if training:  # r ~ Bernoulli(1 - p), drawn on the host, then moved to the device
            keep = self.dropout_rng.random(A.shape) >= p
            self.mask = to_device(keep, self.device, self.dtype)
            out = A * self.mask
            if self.dropout_mode == "inverted":
                self._scale = 1.0 / (1.0 - p)
                out *= self._scale                   # A r / (1 - p)
            return out                               # classic: A r
        if self.dropout_mode == "classic":
            self._scale = 1.0 - p
            return A * self._scale                   # classic, test time: (1 - p) A
        return A                                     # inverted, test time: A

    def backward(self, dA=None, dZ=None, need_dA_prev=True):
        r"""Backward pass from ``dA`` (or directly from ``dZ``); fills ``dW`` and ``db``.

        .. math:: dZ = dA \odot g'(Z), \quad dW = dZ\,A_{\text{prev}}^\top, \quad
                  db = dZ\,\mathbf 1, \quad dA_{\text{prev}} = W^\top dZ

        Give ``dZ`` instead of ``dA`` when the loss already produced it (sigmoid with binary
        cross-entropy, softmax with categorical cross-entropy: :math:`dZ = (A - Y)/m` when the
        columns of ``Y`` sum to 1; see :meth:`nnbook.Network.output_delta` for the general form).
        With dropout, ``dA`` (the gradient of the layer's *output*) is first multiplied by the
        same mask and scale as the last forward pass: :math:`dA \leftarrow dA \odot r/(1-p)`
        (inverted, training); a given ``dZ`` bypasses both the activation and the mask.
        With ``need_dA_prev=False`` (the first layer) the product :math:`W^\top dZ` is skipped
        and ``None`` is returned.  With batchnorm, :math:`dA \odot g'(\tilde Z)` (or the given
        ``dZ``, the gradient of the activation's input) goes back through
        :meth:`BatchNorm.backward` first (filling ``dgamma``, ``dbeta``); ``self.dZ`` is then
        :math:`\partial J/\partial Z` for :math:`Z = W A_{\text{prev}}`.

        Shapes: ``dA`` / ``dZ`` ``(n_out, m)`` → returns ``dA_prev`` ``(n_in, m)``.
        """
        if self.Z is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        if dZ is None:
            if dA is None:
                raise ValueError(f"{self!r}: backward() needs dA or dZ")
            if getattr(dA, "shape", None) != self.Z.shape:  # before use: (n, 1) would broadcast
                raise ValueError(f"{self!r}: expected dA/dZ of shape {self.Z.shape}, "
                                 f"got {getattr(dA, 'shape', type(dA).__name__)}")
            if self.mask is not None:
                dA = dA * self.mask                  # dropped units pass no gradient
            if self._scale != 1.0:
                dA = dA * self._scale
            dZ = self.g.backward(dA, self.Z if self.bn is None else self.Z_tilde, self.A)
        if getattr(dZ, "shape", None) != self.Z.shape:
            raise ValueError(f"{self!r}: expected dA/dZ of shape {self.Z.shape}, "
                             f"got {getattr(dZ, 'shape', type(dZ).__name__)}")
        if self.bn is not None:
            dZ = self.bn.backward(dZ)                # through the normalization
        xp = get_array_module(dZ)
        xp.matmul(dZ, self.A_prev.T, out=self.dW)    # dW = dZ A_prev^T
        if self.db is not None:
            xp.matmul(dZ, xp.ones((dZ.shape[1], 1), dZ.dtype), out=self.db)  # db = dZ 1
        # (the sum over the samples as a product: BLAS does it ~3x faster than dZ.sum(axis=1))
        self.dZ = dZ
        return self.W.T @ dZ if need_dA_prev else None  # dA_prev = W^T dZ


class BatchNorm:
    r"""Batch normalization of pre-activations over the batch :cite:p:`ioffe2015batch`.

    In training (statistics of the batch, over the samples, ``axis=1``):

    .. math:: \mu = \tfrac1m \textstyle\sum_i z^{(i)}, \quad
              \sigma^2 = \tfrac1m \textstyle\sum_i (z^{(i)} - \mu)^2, \quad
              \hat z^{(i)} = \frac{z^{(i)} - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \quad
              \tilde z^{(i)} = \gamma \odot \hat z^{(i)} + \beta

    In evaluation (``training=False``) the running averages replace :math:`\mu, \sigma^2`,
    so the output of a sample does not depend on the rest of its batch.  After every
    training pass

    .. math:: \mu_{\text{run}} \leftarrow \rho\,\mu_{\text{run}} + (1-\rho)\,\mu, \qquad
              \sigma^2_{\text{run}} \leftarrow \rho\,\sigma^2_{\text{run}}
              + (1-\rho)\,\tfrac{m}{m-1}\sigma^2

    with :math:`\rho` = ``momentum`` (default 0.9: the weight of the *old* value, Keras's
    convention, whose default is 0.99).  PyTorch's ``momentum`` is the weight of the *new*
    value, so its default 0.1 is :math:`\rho = 0.9` here; like PyTorch, the running variance
    uses the unbiased batch variance :math:`\frac{m}{m-1}\sigma^2`.

    Backward, with :math:`d\hat Z = \gamma \odot d\tilde Z` and means over the batch:

    .. math:: d\gamma = \textstyle\sum_i d\tilde z^{(i)} \odot \hat z^{(i)}, \quad
              d\beta = \textstyle\sum_i d\tilde z^{(i)}, \quad
              dZ = \frac{1}{\sqrt{\sigma^2+\varepsilon}}\Big(d\hat Z
              - \overline{d\hat Z} - \hat Z \odot \overline{d\hat Z \odot \hat Z}\Big)

    (after an evaluation pass the statistics are constants and
    :math:`dZ = \gamma \odot d\tilde Z / \sqrt{\sigma^2_{\text{run}}+\varepsilon}`).

    Shapes: ``Z`` ``(n, m)`` → ``Z_tilde`` ``(n, m)``; ``gamma``, ``beta``, running
    statistics ``(n, 1)``.  Chapter: *Initialization and normalization*.

    Parameters
    ----------
    n : int
        Number of units :math:`n_l` (rows of ``Z``).
    momentum : float
        :math:`\rho \in [0, 1)` of the running averages (default 0.9).
    eps : float
        :math:`\varepsilon > 0` added to the variance (default ``1e-5``, as in PyTorch).
    dtype, device
        As for :class:`Dense`.

    Attributes
    ----------
    gamma, beta : array
        Scale (starts at 1) and shift (starts at 0), shape ``(n, 1)``: learned parameters.
    dgamma, dbeta : array
        Their gradients, shape ``(n, 1)``, written by :meth:`backward`.
    running_mean, running_var : array
        Running statistics (start at 0 and 1), shape ``(n, 1)``, used when
        ``training=False``; not learned.
    Z_hat : array or None
        The normalized :math:`\hat Z` of the last :meth:`forward` (its cache, with
        ``inv_std`` :math:`= 1/\sqrt{\sigma^2+\varepsilon}` and whether it was a training pass).
    """

    param_names = ("gamma", "beta")

    def __init__(self, n, momentum=0.9, eps=1e-5, dtype=np.float64, device="cpu"):
        self.n = _positive_int("n", n)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.integer, np.floating)) \
                or not 0.0 <= float(momentum) < 1.0:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1), got {momentum!r}")
        if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) \
                or not float(eps) > 0.0:
            raise ValueError(f"BatchNorm: eps must be a positive number, got {eps!r}")
        self.momentum, self.eps = float(momentum), float(eps)
        self.device, self.dtype = device, np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"dtype must be a floating type (float32 or float64), got {self.dtype}")
        xp = array_module(device)
        self.gamma = xp.ones((self.n, 1), dtype=self.dtype)
        self.beta = xp.zeros((self.n, 1), dtype=self.dtype)
        self.dgamma = xp.zeros_like(self.gamma)
        self.dbeta = xp.zeros_like(self.beta)
        self.running_mean = xp.zeros((self.n, 1), dtype=self.dtype)
        self.running_var = xp.ones((self.n, 1), dtype=self.dtype)
        self.Z_hat = self.inv_std = None
        self._training = False

    def __repr__(self) -> str:
        return f"BatchNorm({self.n}, momentum={self.momentum:g}, eps={self.eps:g})"

    @property
    def n_params(self) -> int:
        r"""Number of learned parameters: :math:`2 n` (:math:`\gamma` and :math:`\beta`)."""
        return 2 * self.n

    def forward(self, Z, training: bool = False):
        r"""Normalize ``Z`` over the batch (training) or with the running statistics (evaluation).

        .. math:: \tilde Z = \gamma \odot \frac{Z - \mu}{\sqrt{\sigma^2 + \varepsilon}} + \beta

        A training pass also updates ``running_mean`` and ``running_var``; it needs at
        least 2 samples (the variance of one sample is 0, and :math:`\hat z` would be 0).

        Shapes: ``Z`` ``(n, m)`` → ``(n, m)``.
        """
        shape = getattr(Z, "shape", None)
        if shape is None or len(shape) != 2 or shape[0] != self.n:
            hint = ": are samples in columns?" if shape is not None and len(shape) == 2 \
                and shape[1] == self.n else ""
            raise ValueError(f"{self!r} expected Z with {self.n} rows, got shape {shape}{hint}")
        m = shape[1]
        if training:
            if m < 2:
                raise ValueError(f"{self!r}: a training pass needs a batch of at least 2 samples, "
                                 f"got {m} (use training=False for single samples)")
            mu = Z.mean(axis=1, keepdims=True)
            var = ((Z - mu) ** 2).mean(axis=1, keepdims=True)    # biased: divides by m
            rho = self.momentum
            self.running_mean *= rho
            self.running_mean += (1.0 - rho) * mu
            self.running_var *= rho
            self.running_var += (1.0 - rho) * (m / (m - 1)) * var  # unbiased, as PyTorch
        else:
            mu, var = self.running_mean, self.running_var
        xp = get_array_module(Z)
        self.inv_std = 1.0 / xp.sqrt(var + self.eps)
        self.Z_hat = (Z - mu) * self.inv_std
        self._training = bool(training)
        return self.gamma * self.Z_hat + self.beta

    def backward(self, dZ_tilde):
        r"""Backward pass from :math:`d\tilde Z`; fills ``dgamma``, ``dbeta`` and returns :math:`dZ`.

        .. math:: dZ = \frac{1}{\sqrt{\sigma^2+\varepsilon}}\Big(d\hat Z - \overline{d\hat Z}
                  - \hat Z \odot \overline{d\hat Z \odot \hat Z}\Big),
                  \qquad d\hat Z = \gamma \odot d\tilde Z

        (bars are means over the batch); after an evaluation pass
        :math:`dZ = d\hat Z / \sqrt{\sigma^2_{\text{run}}+\varepsilon}`.

        Shapes: ``dZ_tilde`` ``(n, m)`` → ``dZ`` ``(n, m)``.
        """
        if self.Z_hat is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        if getattr(dZ_tilde, "shape", None) != self.Z_hat.shape:
            raise ValueError(f"{self!r}: expected dZ_tilde of shape {self.Z_hat.shape}, "
                             f"got {getattr(dZ_tilde, 'shape', type(dZ_tilde).__name__)}")
        self.dgamma[...] = (dZ_tilde * self.Z_hat).sum(axis=1, keepdims=True)
        self.dbeta[...] = dZ_tilde.sum(axis=1, keepdims=True)
        dZ_hat = self.gamma * dZ_tilde
        if not self._training:
            return dZ_hat * self.inv_std
        return self.inv_std * (dZ_hat - dZ_hat.mean(axis=1, keepdims=True)
                               - self.Z_hat * (dZ_hat * self.Z_hat).mean(axis=1, keepdims=True))
