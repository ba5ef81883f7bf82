r"""Activation functions and their derivatives.

Every function acts elementwise on an array ``Z`` of any shape (softmax acts on columns)
and returns an array of the same shape, on the same backend (NumPy or CuPy) and dtype.
The derivative of ``f`` is ``f_prime``: ``sigmoid`` and ``sigmoid_prime``, ``relu`` and
``relu_prime``, ...  Where a function has no derivative at a point (the kinks of ReLU, the
jump of the step), ``f_prime`` returns the value stated in its docstring.

The sources disagree on the value of the unit step at :math:`z=0` (0.5 in one table, 1 in
another); :func:`step` takes it as the ``at_zero`` parameter.

The book teaches these in the chapter *Activation functions*.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from .backend import get_array_module
from ._validation import lookup
from ._validation import real as _real

__all__ = [
    "linear", "linear_prime",
    "step", "step_prime",
    "sign", "sign_prime",
    "piecewise_linear", "piecewise_linear_prime",
    "sigmoid", "sigmoid_prime",
    "tanh", "tanh_prime",
    "relu", "relu_prime",
    "leaky_relu", "leaky_relu_prime",
    "softmax", "softmax_jacobian", "softmax_backward",
    "Activation", "get_activation", "ACTIVATION_NAMES",
]


# --- linear -----------------------------------------------------------------------------
def linear(Z):
    r"""Identity activation.

    .. math:: g(z) = z

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    return get_array_module(Z).asarray(Z)  # the array itself; a list becomes an array


def linear_prime(Z):
    r"""Derivative of :func:`linear`: :math:`g'(z) = 1`.

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return xp.ones_like(Z)


# --- unit step (Heaviside) --------------------------------------------------------------
def step(Z, at_zero: float = 0.5):
    r"""Unit step (Heaviside) function.

    .. math:: g(z) = \begin{cases} 0 & z < 0 \\ h_0 & z = 0 \\ 1 & z > 0 \end{cases}

    ``at_zero`` is :math:`h_0`: 0.5 (the sources' table, and the mean of the two limits) by
    default; the CMSC 173 slides' perceptron uses 1 (``z >= 0`` fires) and some texts use 0.

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    at_zero = _real("at_zero", at_zero, "step")
    xp = get_array_module(Z)
    Z = xp.asarray(Z, dtype=float) if not hasattr(Z, "dtype") else Z
    # float result even for integer Z, so that at_zero=0.5 is not truncated to 0
    dtype = xp.result_type(Z, 1.0)
    return xp.where(Z > 0, 1.0, xp.where(Z < 0, 0.0, at_zero)).astype(dtype, copy=False)


def step_prime(Z, at_zero: float = 0.5):
    r"""Derivative of :func:`step`: 0 wherever it exists (:math:`z \neq 0`); 0 is returned at 0 too.

    This zero derivative is why a step unit cannot be trained by gradient descent.

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return xp.zeros_like(Z)


# --- sign -------------------------------------------------------------------------------
def sign(Z):
    r"""Signum: :math:`g(z) = -1` for :math:`z<0`, :math:`0` at :math:`z=0`, :math:`1` for :math:`z>0`.

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return xp.sign(Z)


def sign_prime(Z):
    r"""Derivative of :func:`sign`: 0 wherever it exists; 0 is returned at 0 too.

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return xp.zeros_like(Z)


# --- piecewise linear -------------------------------------------------------------------
def piecewise_linear(Z):
    r"""Piecewise-linear ("hard sigmoid") unit of the sources' table.

    .. math:: g(z) = \begin{cases} 0 & z \le -\tfrac12 \\ z + \tfrac12 & -\tfrac12 < z < \tfrac12
              \\ 1 & z \ge \tfrac12 \end{cases}

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return xp.clip(Z + 0.5, 0.0, 1.0)


def piecewise_linear_prime(Z):
    r"""Derivative of :func:`piecewise_linear`: 1 on :math:`(-\tfrac12, \tfrac12)`, else 0 (0 at the kinks).

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return (xp.abs(Z) < 0.5).astype(xp.result_type(Z, 1.0))


# --- sigmoid ----------------------------------------------------------------------------
def sigmoid(Z):
    r"""Logistic sigmoid, computed without overflow for any finite input.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}
              = \begin{cases} \dfrac{1}{1 + e^{-|z|}} & z \ge 0 \\[1ex]
                              \dfrac{e^{-|z|}}{1 + e^{-|z|}} & z < 0 \end{cases}

    The second form only ever exponentiates :math:`-|z| \le 0`, so it never overflows and keeps
    full relative precision of tiny outputs (:math:`\sigma(-700) \approx 10^{-304}`, not 0).

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    e = xp.exp(-xp.abs(Z))
    return xp.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(Z):
    r"""Derivative of :func:`sigmoid`: :math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z))`.

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    s = sigmoid(Z)
    return s * (1.0 - s)


# --- tanh -------------------------------------------------------------------------------
def tanh(Z):
    r"""Hyperbolic tangent.

    .. math:: \tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\sigma(2z) - 1

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return xp.tanh(Z)


def tanh_prime(Z):
    r"""Derivative of :func:`tanh`: :math:`\tanh'(z) = 1 - \tanh^2(z)`.

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    t = tanh(Z)
    return 1.0 - t * t


# --- ReLU -------------------------------------------------------------------------------
def relu(Z):
    r"""Rectified linear unit.

    .. math:: \mathrm{ReLU}(z) = \max(0, z)

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return xp.maximum(Z, 0)


def relu_prime(Z):
    r"""Derivative of :func:`relu`: 1 for :math:`z > 0`, 0 for :math:`z < 0`; 0 is returned at 0.

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return (xp.asarray(Z) > 0).astype(xp.result_type(Z, 1.0))


# --- leaky ReLU -------------------------------------------------------------------------
def leaky_relu(Z, alpha: float = 0.01):
    r"""Leaky ReLU :cite:p:`maas2013rectifier`.

    .. math:: g(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    alpha = _real("alpha", alpha, "leaky_relu")
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return xp.where(Z > 0, Z, alpha * Z)


def leaky_relu_prime(Z, alpha: float = 0.01):
    r"""Derivative of :func:`leaky_relu`: 1 for :math:`z > 0`, :math:`\alpha` for :math:`z \le 0`.

    Shapes: ``Z`` any shape; returns the same shape.  Chapter: *Activation functions*.
    """
    alpha = _real("alpha", alpha, "leaky_relu_prime")
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    return xp.where(Z > 0, 1.0, alpha).astype(xp.result_type(Z, 1.0), copy=False)


# --- softmax ----------------------------------------------------------------------------
def softmax(Z, axis: int = 0):
    r"""Softmax over the classes of each sample (the rows of a column, ``axis=0``).

    .. math:: \mathrm{softmax}(\mathbf z)_k = \frac{e^{z_k - \max_j z_j}}{\sum_i e^{z_i - \max_j z_j}}

    Subtracting the column maximum changes nothing mathematically and keeps every exponent
    :math:`\le 0`, so no input overflows.

    Shapes: ``Z`` is ``(n_L, m)``; returns ``(n_L, m)`` with columns summing to 1.
    Chapter: *Activation functions*.
    """
    xp = get_array_module(Z)
    Z = xp.asarray(Z)
    E = xp.exp(Z - Z.max(axis=axis, keepdims=True))
    E /= E.sum(axis=axis, keepdims=True)
    return E


def softmax_jacobian(z):
    r"""Jacobian of softmax for one sample: :math:`J = \mathrm{diag}(\mathbf s) - \mathbf s \mathbf s^\top`.

    Shapes: ``z`` is ``(n,)`` or ``(n, 1)``; returns ``(n, n)`` with
    :math:`J_{kj} = \partial s_k / \partial z_j = s_k(\delta_{kj} - s_j)`.

    Chapter: *Activation functions*.
    """
    xp = get_array_module(z)
    z = xp.asarray(z)
    if not (z.ndim == 1 or (z.ndim == 2 and z.shape[1] == 1)) or z.size == 0:
        raise ValueError(
            f"softmax_jacobian: z must be one sample, of shape (n,) or (n, 1), got shape "
            f"{z.shape}: the Jacobian is per sample; for a batch use softmax_backward(dA, A)"
        )
    s = softmax(xp.reshape(z, (-1, 1)))
    return xp.diagflat(s) - s @ s.T


def softmax_backward(dA, A):
    r"""Backward pass of softmax, column by column, without forming the Jacobian.

    .. math:: d\mathbf z = J^\top d\mathbf a = \mathbf a \odot \left(d\mathbf a - (\mathbf a^\top d\mathbf a)\,\mathbf 1\right)

    Shapes: ``dA`` and ``A`` are ``(n_L, m)``; returns ``dZ`` of shape ``(n_L, m)``.

    Chapter: *Activation functions*.
    """
    xp = get_array_module(dA, A)
    dA, A = xp.asarray(dA), xp.asarray(A)
    return A * (dA - (dA * A).sum(axis=0, keepdims=True))


# --- lookup by name ---------------------------------------------------------------------
@dataclass(frozen=True)
class Activation:
    """An activation ``g`` with what a layer needs: ``forward(Z)`` and ``backward(dA, Z, A)``.

    ``backward`` returns :math:`dZ = dA \\odot g'(Z)` (for softmax, the Jacobian-vector
    product of :func:`softmax_backward`).  ``prime`` is the elementwise derivative, ``None``
    for softmax, whose derivative is a Jacobian per sample.
    """

    name: str
    forward: Callable
    prime: Callable | None
    backward: Callable

    def __call__(self, Z):
        return self.forward(Z)


def _elementwise(name, f, fprime, backward=None):
    return Activation(name, f, fprime, backward or (lambda dA, Z, A: dA * fprime(Z)))


def _make(name: str, alpha: float, at_zero: float) -> Activation:
    if name == "linear":
        return _elementwise(name, linear, linear_prime, lambda dA, Z, A: dA)
    if name == "step":
        return _elementwise(name, partial(step, at_zero=at_zero), step_prime)
    if name == "sign":
        return _elementwise(name, sign, sign_prime)
    if name == "piecewise_linear":
        return _elementwise(name, piecewise_linear, piecewise_linear_prime)
    if name == "sigmoid":  # sigma' = A (1 - A): reuse the cached output
        return _elementwise(name, sigmoid, sigmoid_prime, lambda dA, Z, A: dA * A * (1.0 - A))
    if name == "tanh":  # tanh' = 1 - A^2
        return _elementwise(name, tanh, tanh_prime, lambda dA, Z, A: dA * (1.0 - A * A))
    if name == "relu":
        return _elementwise(name, relu, relu_prime, lambda dA, Z, A: dA * (Z > 0))
    if name == "leaky_relu":
        return _elementwise(
            name, partial(leaky_relu, alpha=alpha), partial(leaky_relu_prime, alpha=alpha)
        )
    if name == "softmax":
        return Activation(name, softmax, None, lambda dA, Z, A: softmax_backward(dA, A))
    raise AssertionError(name)


_ALIASES = {
    "identity": "linear", "heaviside": "step", "unit_step": "step", "signum": "sign",
    "logistic": "sigmoid", "hard_sigmoid": "piecewise_linear", "leakyrelu": "leaky_relu",
}
ACTIVATION_NAMES = (
    "linear", "step", "sign", "piecewise_linear", "sigmoid", "tanh", "relu", "leaky_relu",
    "softmax",
)


def get_activation(name: str | Activation, alpha: float = 0.01, at_zero: float = 0.5) -> Activation:
    """Look an activation up by name (``"relu"``, ``"sigmoid"``, ...); pass an ``Activation`` through.

    Parameters
    ----------
    name : str or Activation
        One of :data:`ACTIVATION_NAMES` (or an alias such as ``"logistic"``, ``"identity"``).
    alpha : float
        Negative-side slope of ``"leaky_relu"``.
    at_zero : float
        Value of ``"step"`` at 0.

    Raises
    ------
    ValueError
        Unknown name; the message lists the known ones.
    """
    if isinstance(name, Activation):
        return name
    key = lookup("activation", name, ACTIVATION_NAMES, _ALIASES, "an Activation")
    alpha = _real("alpha", alpha, "get_activation")
    at_zero = _real("at_zero", at_zero, "get_activation")
    return _make(key, alpha, at_zero)
