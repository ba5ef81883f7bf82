r"""A tiny scalar automatic differentiation: reverse mode (:class:`Value`) and forward mode (:class:`Dual`).

Reverse mode.  Every arithmetic operation on :class:`Value` objects records a node of a
*computational graph*: its result, its parents and the local derivative of the result with
respect to each parent.  :meth:`Value.backward` then walks the graph once, from the output
back to the inputs in reverse topological order, and applies the chain rule at every node:

.. math:: \bar v_p \mathrel{+}= \frac{\partial v}{\partial v_p}\, \bar v,
          \qquad \bar v = \frac{\partial f}{\partial v}

so one backward pass gives the derivative of a scalar output with respect to *every* input.
Backpropagation is this algorithm applied to a neural network :cite:p:`baydin2018automatic`.

Forward mode.  A :class:`Dual` number :math:`a + b\,\varepsilon` with :math:`\varepsilon^2 = 0`
carries a value :math:`a` and a derivative :math:`b` along with the computation,
:math:`f(a + b\varepsilon) = f(a) + f'(a)\, b\, \varepsilon`; one pass gives the derivative of
every intermediate quantity with respect to *one* input direction :cite:p:`griewank2008evaluating`.

The elementwise functions :func:`exp`, :func:`log`, :func:`tanh`, :func:`sigmoid` and
:func:`relu` accept a float, a :class:`Value`, a :class:`Dual`, or a NumPy array of any of
them, so one function ``f`` written with them (and ``+ - * / **``) can be evaluated plainly,
differentiated in reverse mode and differentiated in forward mode.  NumPy object arrays of
:class:`Value` make the layer equations work unchanged: ``Z = W @ A_prev + b``.

The book teaches this in the chapter *Backpropagation*.
"""
from __future__ import annotations

import math
import numbers
from typing import Callable, Sequence

import numpy as np

__all__ = [
    "Value", "Dual", "topological_order",
    "exp", "log", "tanh", "sigmoid", "relu",
    "as_values", "data_of", "grad_of",
    "derivative", "grad_forward", "grad_reverse",
]


def _real(x, who: str) -> float:
    """``x`` as a Python float, or a ``TypeError`` that names ``who`` and what came."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        if isinstance(x, np.ndarray):
            raise TypeError(
                f"{who} expected a real number, got an array of shape {x.shape}: "
                "use as_values(array) for an array of Value objects"
            )
        raise TypeError(f"{who} expected a real number, got {type(x).__name__} {x!r}")
    return float(x)


def _sigmoid(x: float) -> float:
    """Logistic sigmoid of a float, without overflow (the form of :func:`nnbook.activations.sigmoid`)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _exp(x: float, who: str) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"{who}: exp({x!r}) overflows a float64 (largest is about exp(709.78))") \
            from None


# --- reverse mode -----------------------------------------------------------------------
class Value:
    r"""A scalar node of a computational graph, for reverse-mode automatic differentiation.

    ``Value(2.0)`` is an input (a leaf).  ``a + b``, ``a * b``, ``a.exp()``, ... return new
    nodes that remember their parents and the local derivatives
    :math:`\partial(\text{result})/\partial(\text{parent})`, evaluated at the forward values.
    :meth:`backward` fills :attr:`grad` of every node of the graph with
    :math:`\partial(\text{output})/\partial(\text{node})`.

    Parameters
    ----------
    data : float
        The value (any real number: ``int``, ``float``, NumPy scalar).
    label : str, optional
        A name shown by ``repr`` (``"w1"``, ``"z"``, ...).

    Attributes
    ----------
    data : float
        The forward value.
    grad : float
        :math:`\partial f/\partial(\text{this node})` after ``f.backward()``; 0 before.
    parents : tuple of Value
        The nodes this one was computed from (empty for a leaf).
    local_grads : tuple of float
        :math:`\partial(\text{this})/\partial(\text{parent})`, one per parent.
    op : str
        The operation that made this node (``"+"``, ``"*"``, ``"exp"``, ...; ``""`` for a leaf).

    Examples
    --------
    >>> from nnbook.autograd import Value
    >>> x, y = Value(2.0), Value(3.0)
    >>> f = x * y + x.exp()
    >>> f.backward()
    >>> x.grad, y.grad   # (y + e^x, x)
    (10.38905609893065, 2.0)

    Shapes: scalars only; NumPy object arrays of Values (see :func:`as_values`) give vectors
    and matrices.  Chapter: *Backpropagation*.
    """

    __slots__ = ("data", "grad", "parents", "local_grads", "op", "label")

    def __init__(self, data, label: str = "", *, _parents=(), _local_grads=(), _op: str = ""):
        self.data = _real(data, "Value")
        self.grad = 0.0
        self.parents = tuple(_parents)
        self.local_grads = tuple(_local_grads)
        self.op = _op
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"

    # -- building the graph --------------------------------------------------------------
    @staticmethod
    def _lift(other, op: str) -> "Value":
        """A constant becomes a leaf; a Dual is refused (the two modes do not mix)."""
        if isinstance(other, Value):
            return other
        if isinstance(other, Dual):
            raise TypeError(f"cannot combine Value and Dual in {op!r}: use one mode per computation")
        return Value(_real(other, f"Value {op}"))

    def _node(self, data: float, parents, local_grads, op: str) -> "Value":
        return Value(data, _parents=parents, _local_grads=local_grads, _op=op)

    def __add__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented  # NumPy then applies Value + entry elementwise
        other = self._lift(other, "+")
        return self._node(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        other = self._lift(other, "*")
        return self._node(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __pow__(self, k):
        if isinstance(k, (Value, Dual)):
            raise TypeError("Value ** exponent needs a constant int or float exponent; for a "
                            "variable exponent write exp(y * log(x))")
        k = _real(k, "Value ** exponent")
        x = self.data
        if x == 0.0 and k < 0:
            raise ZeroDivisionError(f"Value ** {k}: 0 to a negative power")
        if x < 0.0 and not k.is_integer():
            raise ValueError(f"Value ** {k}: a negative base ({x}) to a non-integer power is not real")
        # d/dx x^k = k x^(k-1); at x = 0 with 0 < k < 1 it is infinite, reported as inf
        dk = k * x ** (k - 1) if not (x == 0.0 and k < 1) else (0.0 if k == 0 else math.inf)
        return self._node(x ** k, (self,), (dk,), f"**{k:g}")

    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):  # other + self
        return self + other

    def __sub__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self + (-self._lift(other, "-"))

    def __rsub__(self, other):  # other - self
        return self._lift(other, "-") + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        other = self._lift(other, "/")
        if other.data == 0.0:
            raise ZeroDivisionError(f"Value division by zero ({self.data} / 0)")
        return self * other ** -1

    def __rtruediv__(self, other):  # other / self
        return self._lift(other, "/") / self

    def exp(self) -> "Value":
        r""":math:`e^x`, local derivative :math:`e^x`."""
        e = _exp(self.data, "Value.exp")
        return self._node(e, (self,), (e,), "exp")

    def log(self) -> "Value":
        r""":math:`\ln x` for :math:`x > 0`, local derivative :math:`1/x`."""
        if self.data <= 0.0:
            raise ValueError(f"Value.log needs a positive argument, got {self.data}")
        return self._node(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def tanh(self) -> "Value":
        r""":math:`\tanh x`, local derivative :math:`1 - \tanh^2 x`."""
        t = math.tanh(self.data)
        return self._node(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> "Value":
        r""":math:`\sigma(x) = 1/(1+e^{-x})`, local derivative :math:`\sigma(x)(1 - \sigma(x))`."""
        s = _sigmoid(self.data)
        return self._node(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self) -> "Value":
        r""":math:`\max(0, x)`, local derivative 1 for :math:`x > 0` and 0 otherwise (0 at 0, as :func:`nnbook.activations.relu_prime`)."""
        return self._node(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,), "relu")

    # -- reverse pass --------------------------------------------------------------------
    def backward(self) -> None:
        r"""Reverse-mode pass: set ``grad`` of every node of this graph to :math:`\partial(\text{self})/\partial(\text{node})`.

        The gradients of all nodes of the graph are first reset to 0 (so calling it twice
        gives the same result, not twice the result), the output's own gradient is set to 1,
        and then, for each node in *reverse* topological order (every node after all nodes
        that use it), the chain rule sends its gradient to its parents:
        ``parent.grad += local_grad * node.grad``.  A node used twice receives the sum of both
        contributions (the multivariate chain rule).
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad


def topological_order(root: Value) -> list:
    """Every node of the graph of ``root``, each after all of its parents (``root`` last).

    Iterative depth-first search, so graphs deeper than Python's recursion limit are fine.
    ``len(topological_order(f))`` is the number of nodes (inputs, constants and operations).
    :meth:`Value.backward` visits this list in reverse.

    Shapes: ``root`` a scalar :class:`Value`; returns a list of :class:`Value`.
    Chapter: *Backpropagation*.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order expected a Value, got {type(root).__name__}")
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        stack.extend((p, False) for p in node.parents if p not in visited)
    return order


# --- forward mode -----------------------------------------------------------------------
class Dual:
    r"""A dual number :math:`a + b\,\varepsilon` (:math:`\varepsilon^2 = 0`), for forward-mode differentiation.

    Arithmetic on duals is arithmetic on first-order Taylor expansions:
    :math:`(a + b\varepsilon)(c + d\varepsilon) = ac + (ad + bc)\varepsilon` and
    :math:`f(a + b\varepsilon) = f(a) + f'(a)\,b\,\varepsilon`.  Seeding an input with
    ``deriv=1`` (and every other input with 0) makes ``deriv`` of every result its derivative
    with respect to that input.

    Parameters
    ----------
    value : float
        :math:`a`, the ordinary value.
    deriv : float
        :math:`b`, the derivative carried along (default 0: a constant).

    Examples
    --------
    >>> from nnbook.autograd import Dual
    >>> x = Dual(2.0, 1.0)          # seed dx/dx = 1
    >>> f = x * x * x               # f = x^3
    >>> f.value, f.deriv            # (8, 3 x^2 = 12)
    (8.0, 12.0)

    Shapes: scalars.  Chapter: *Backpropagation*.
    """

    __slots__ = ("value", "deriv")

    def __init__(self, value, deriv=0.0):
        self.value = _real(value, "Dual value")
        self.deriv = _real(deriv, "Dual deriv")

    def __repr__(self) -> str:
        return f"Dual({self.value:.6g}, deriv={self.deriv:.6g})"

    @staticmethod
    def _lift(other, op: str) -> "Dual":
        if isinstance(other, Dual):
            return other
        if isinstance(other, Value):
            raise TypeError(f"cannot combine Dual and Value in {op!r}: use one mode per computation")
        return Dual(_real(other, f"Dual {op}"), 0.0)

    def __add__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        o = self._lift(other, "+")
        return Dual(self.value + o.value, self.deriv + o.deriv)

    def __mul__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        o = self._lift(other, "*")
        return Dual(self.value * o.value, self.deriv * o.value + self.value * o.deriv)

    def __truediv__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        o = self._lift(other, "/")
        if o.value == 0.0:
            raise ZeroDivisionError(f"Dual division by zero ({self.value} / 0)")
        return Dual(self.value / o.value, (self.deriv * o.value - self.value * o.deriv) / o.value ** 2)

    def __pow__(self, k):
        if isinstance(k, (Value, Dual)):
            raise TypeError("Dual ** exponent needs a constant int or float exponent; for a "
                            "variable exponent write exp(y * log(x))")
        k = _real(k, "Dual ** exponent")
        x = self.value
        if x == 0.0 and k < 0:
            raise ZeroDivisionError(f"Dual ** {k}: 0 to a negative power")
        if x < 0.0 and not k.is_integer():
            raise ValueError(f"Dual ** {k}: a negative base ({x}) to a non-integer power is not real")
        dk = k * x ** (k - 1) if not (x == 0.0 and k < 1) else (0.0 if k == 0 else math.inf)
        return Dual(x ** k, dk * self.deriv)

    def __neg__(self):
        return Dual(-self.value, -self.deriv)

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self + (-self._lift(other, "-"))

    def __rsub__(self, other):
        return self._lift(other, "-") + (-self)

    def __rmul__(self, other):
        return self * other

    def __rtruediv__(self, other):
        return self._lift(other, "/") / self

    def exp(self) -> "Dual":
        e = _exp(self.value, "Dual.exp")
        return Dual(e, e * self.deriv)

    def log(self) -> "Dual":
        if self.value <= 0.0:
            raise ValueError(f"Dual.log needs a positive argument, got {self.value}")
        return Dual(math.log(self.value), self.deriv / self.value)

    def tanh(self) -> "Dual":
        t = math.tanh(self.value)
        return Dual(t, (1.0 - t * t) * self.deriv)

    def sigmoid(self) -> "Dual":
        s = _sigmoid(self.value)
        return Dual(s, s * (1.0 - s) * self.deriv)

    def relu(self) -> "Dual":
        return Dual(max(self.value, 0.0), self.deriv if self.value > 0 else 0.0)


# --- elementwise functions for floats, Values, Duals and arrays of them -----------------
def _scalar(name: str, float_fn: Callable, x):
    if isinstance(x, (Value, Dual)):
        return getattr(x, name)()
    return float_fn(_real(x, f"{name}()"))


def _elementwise(name: str, float_fn: Callable, x):
    if isinstance(x, np.ndarray):
        out = np.frompyfunc(lambda v: _scalar(name, float_fn, v), 1, 1)(x)
        return out.astype(np.float64) if x.dtype.kind in "fiu" else out
    return _scalar(name, float_fn, x)


def _log(x: float) -> float:
    if x <= 0.0:
        raise ValueError(f"log needs a positive argument, got {x}")
    return math.log(x)


def exp(x):
    r"""Exponential :math:`e^x` of a float, a :class:`Value`, a :class:`Dual`, or an array of them.

    .. math:: \frac{d}{dx} e^x = e^x

    Shapes: ``x`` a scalar or an array of any shape (elementwise); returns the same shape.
    Chapter: *Backpropagation*.
    """
    return _elementwise("exp", lambda v: _exp(v, "exp"), x)


def log(x):
    r"""Natural logarithm :math:`\ln x` (:math:`x > 0`) of a float, :class:`Value`, :class:`Dual`, or an array of them.

    .. math:: \frac{d}{dx} \ln x = \frac{1}{x}

    Shapes: ``x`` a scalar or an array of any shape (elementwise); returns the same shape.
    Chapter: *Backpropagation*.
    """
    return _elementwise("log", _log, x)


def tanh(x):
    r"""Hyperbolic tangent of a float, a :class:`Value`, a :class:`Dual`, or an array of them.

    .. math:: \frac{d}{dx} \tanh x = 1 - \tanh^2 x

    Shapes: ``x`` a scalar or an array of any shape (elementwise); returns the same shape.
    Chapter: *Backpropagation*.
    """
    return _elementwise("tanh", math.tanh, x)


def sigmoid(x):
    r"""Logistic sigmoid :math:`\sigma(x) = 1/(1 + e^{-x})` of a float, a :class:`Value`, a :class:`Dual`, or an array of them.

    .. math:: \sigma'(x) = \sigma(x)\,(1 - \sigma(x))

    Computed without overflow for any finite ``x`` (as :func:`nnbook.activations.sigmoid`).
    Shapes: ``x`` a scalar or an array of any shape (elementwise); returns the same shape.
    Chapter: *Backpropagation*.
    """
    return _elementwise("sigmoid", _sigmoid, x)


def relu(x):
    r"""Rectified linear unit :math:`\max(0, x)` of a float, a :class:`Value`, a :class:`Dual`, or an array of them.

    .. math:: \mathrm{ReLU}'(x) = 1 \text{ for } x > 0, \quad 0 \text{ for } x \le 0

    Shapes: ``x`` a scalar or an array of any shape (elementwise); returns the same shape.
    Chapter: *Backpropagation*.
    """
    return _elementwise("relu", lambda v: max(v, 0.0), x)


# --- arrays of Values -------------------------------------------------------------------
def as_values(A, label: str = "") -> np.ndarray:
    """A NumPy object array of fresh leaf :class:`Value` nodes with the entries of ``A``.

    With it the book's layer equations run on graphs unchanged:
    ``Z = W @ A_prev + b`` (NumPy's ``@`` and ``+`` call :class:`Value`'s ``*`` and ``+``).
    With ``label="W1"`` the entries are labelled ``W1[0,1]``, ...

    Shapes: ``A`` any shape (a scalar gives a 0-d array); returns the same shape, dtype object.
    Chapter: *Backpropagation*.
    """
    A = np.asarray(A)
    if A.dtype == object or A.dtype.kind not in "fiu":
        raise TypeError(f"as_values expected an array of real numbers, got dtype {A.dtype}")
    out = np.empty(A.shape, dtype=object)
    for idx in np.ndindex(A.shape):
        name = f"{label}[{','.join(map(str, idx))}]" if label else ""
        out[idx] = Value(A[idx], label=name)
    return out


def _field(A, attr: str, who: str) -> np.ndarray:
    A = np.asarray(A, dtype=object)
    out = np.empty(A.shape, dtype=np.float64)
    for idx in np.ndindex(A.shape):
        v = A[idx]
        if not isinstance(v, Value):
            raise TypeError(f"{who} expected an array of Value objects, found {type(v).__name__} at {idx}")
        out[idx] = getattr(v, attr)
    return out


def data_of(A) -> np.ndarray:
    """The ``data`` of every :class:`Value` of an object array, as a float64 array.

    Shapes: ``A`` any shape; returns the same shape.  Chapter: *Backpropagation*.
    """
    return _field(A, "data", "data_of")


def grad_of(A) -> np.ndarray:
    """The ``grad`` of every :class:`Value` of an object array (after ``backward()``), as a float64 array.

    Shapes: ``A`` any shape; returns the same shape.  Chapter: *Backpropagation*.
    """
    return _field(A, "grad", "grad_of")


# --- derivatives of plain functions -----------------------------------------------------
def derivative(f: Callable, x: float) -> float:
    r"""Forward mode: :math:`f'(x)` of a scalar function in one pass, ``f(Dual(x, 1)).deriv``.

    ``f`` must be written with ``+ - * / **`` and this module's :func:`exp`, :func:`log`,
    :func:`tanh`, :func:`sigmoid`, :func:`relu`.

    Shapes: ``x`` a scalar; returns a float.  Chapter: *Backpropagation*.
    """
    out = f(Dual(_real(x, "derivative: x"), 1.0))
    if isinstance(out, Dual):
        return out.deriv
    return 0.0 if isinstance(out, numbers.Real) else _not_scalar("derivative", out)


def _not_scalar(who: str, out):
    raise TypeError(f"{who}: f must return a scalar, got {type(out).__name__}")


def _as_vector(x, who: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{who}: x must be a non-empty 1-d sequence of numbers, got shape {x.shape}")
    return x


def grad_forward(f: Callable[[Sequence], object], x) -> np.ndarray:
    r"""Forward mode: the gradient of a scalar function of :math:`n` inputs, in :math:`n` passes.

    Pass :math:`k` seeds input :math:`k` with derivative 1 and the others with 0 and reads
    :math:`\partial f/\partial x_k` off the output: one full evaluation of ``f`` per input.

    Parameters
    ----------
    f : callable
        ``f(xs)`` takes a list of :math:`n` scalars and returns one scalar.
    x : sequence of float
        The point, length :math:`n`.

    Returns
    -------
    numpy.ndarray
        :math:`\nabla f(x)`, shape ``(n,)``.

    Shapes: ``x`` ``(n,)``; returns ``(n,)``.  Chapter: *Backpropagation*.
    """
    x = _as_vector(x, "grad_forward")
    g = np.zeros(x.size)
    for k in range(x.size):
        out = f([Dual(v, 1.0 if i == k else 0.0) for i, v in enumerate(x)])
        if isinstance(out, Dual):
            g[k] = out.deriv
        elif not isinstance(out, numbers.Real):
            _not_scalar("grad_forward", out)
    return g


def grad_reverse(f: Callable[[Sequence], object], x) -> np.ndarray:
    r"""Reverse mode: the gradient of a scalar function of :math:`n` inputs in one forward and one backward pass.

    Parameters
    ----------
    f : callable
        ``f(xs)`` takes a list of :math:`n` scalars and returns one scalar.
    x : sequence of float
        The point, length :math:`n`.

    Returns
    -------
    numpy.ndarray
        :math:`\nabla f(x)`, shape ``(n,)``.

    Shapes: ``x`` ``(n,)``; returns ``(n,)``.  Chapter: *Backpropagation*.
    """
    x = _as_vector(x, "grad_reverse")
    xs = [Value(v) for v in x]
    out = f(xs)
    if isinstance(out, Value):
        out.backward()
    elif not isinstance(out, numbers.Real):
        _not_scalar("grad_reverse", out)
    return np.array([v.grad for v in xs])
