r"""Two-dimensional test functions for watching optimizers move, and a loop that records their path.

Each function ``f`` comes with its gradient ``f_grad``.  Both accept either a point ``p`` of
shape ``(2,)`` (or ``(2, ...)``: the first axis holds :math:`x` and :math:`y`) or two arrays
``x, y`` of the same shape (a grid from ``numpy.meshgrid``), and work elementwise:

- ``f(p)`` or ``f(x, y)`` returns the value(s), of shape ``p.shape[1:]`` or ``x.shape``;
- ``f_grad(p)`` or ``f_grad(x, y)`` returns :math:`(\partial f/\partial x, \partial f/\partial y)`
  stacked on a first axis of length 2: shape ``(2,)`` for one point, ``(2,) + x.shape`` for
  a grid.

The functions:

- :func:`quadratic_bowl`: :math:`\tfrac12(x^2 + y^2)`, the easy case;
- :func:`elongated_valley`: :math:`\tfrac12(u^2 + \kappa v^2)` in coordinates rotated by an
  angle, condition number :math:`\kappa` (default 50): gradient descent zig-zags;
- :func:`rosenbrock`: :math:`(a-x)^2 + b(y-x^2)^2`, a curved, flat-bottomed valley
  :cite:p:`rosenbrock1960automatic`;
- :func:`saddle`: :math:`x^2 - y^2`, a saddle point at the origin;
- :func:`himmelblau`: four minima of equal value :cite:p:`himmelblau1972applied`;
- :func:`gaussian_wells`: three wells of different depths in a shallow bowl (a global and
  two local minima).

:data:`TEST_FUNCTIONS` holds each as a :class:`Function2D` with a plotting window, a
suggested start and the known minima; :func:`run_optimizer` runs any
:class:`nnbook.optimizers.Optimizer` on one and returns the path.

The book uses these in the chapter *Gradient descent and its variants*.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .backend import get_array_module
from ._validation import count as _count

__all__ = [
    "quadratic_bowl", "quadratic_bowl_grad",
    "elongated_valley", "elongated_valley_grad",
    "rosenbrock", "rosenbrock_grad",
    "saddle", "saddle_grad",
    "himmelblau", "himmelblau_grad",
    "gaussian_wells", "gaussian_wells_grad", "HIMMELBLAU_MINIMA", "WELLS", "GAUSSIAN_WELLS_MINIMA",
    "Function2D", "TEST_FUNCTIONS", "get_test_function", "run_optimizer",
]


def _xy(x, y):
    """Split a point ``p`` (first axis of length 2) or pass two arrays ``x, y`` through."""
    if y is None:
        xp = get_array_module(x)
        p = xp.asarray(x, dtype=float) if not hasattr(x, "dtype") else x
        if p.ndim == 0 or p.shape[0] != 2:
            raise ValueError(f"expected a point p of shape (2,) (or (2, ...)), or two arrays x, y; "
                             f"got shape {p.shape}")
        return xp, p[0], p[1]
    xp = get_array_module(x, y)
    return xp, xp.asarray(x, dtype=float) if not hasattr(x, "dtype") else x, \
        xp.asarray(y, dtype=float) if not hasattr(y, "dtype") else y


def _stack(xp, gx, gy):
    gx, gy = xp.broadcast_arrays(xp.asarray(gx), xp.asarray(gy))
    return xp.stack([gx, gy])


# --- quadratic bowl ---------------------------------------------------------------------
def quadratic_bowl(x, y=None):
    r"""Round bowl :math:`f(x, y) = \tfrac12 (x^2 + y^2)`; minimum 0 at the origin.

    Its Hessian is the identity, so gradient descent with :math:`\eta = 1` lands on the
    minimum in one step.

    Shapes: ``p`` ``(2, ...)`` or ``x, y`` of one shape; returns ``p.shape[1:]`` / ``x.shape``.
    Chapter: *Gradient descent and its variants*.
    """
    xp, x, y = _xy(x, y)
    return 0.5 * (x * x + y * y)


def quadratic_bowl_grad(x, y=None):
    r"""Gradient of :func:`quadratic_bowl`: :math:`\nabla f = (x, y)`.

    Shapes: returns ``(2,) + x.shape``.  Chapter: *Gradient descent and its variants*.
    """
    xp, x, y = _xy(x, y)
    return _stack(xp, x, y)


# --- ill-conditioned valley -------------------------------------------------------------
def _rotate(x, y, angle):
    c, s = math.cos(angle), math.sin(angle)
    return c * x + s * y, -s * x + c * y


def elongated_valley(x, y=None, kappa=50.0, angle=0.0):
    r"""Ill-conditioned quadratic :math:`f = \tfrac12 (u^2 + \kappa v^2)` with :math:`(u, v)` the coordinates rotated by ``angle``.

    .. math:: u = x\cos\varphi + y\sin\varphi, \qquad v = -x\sin\varphi + y\cos\varphi

    The Hessian has eigenvalues 1 and :math:`\kappa` (the condition number, default 50), so
    gradient descent is stable only for :math:`\eta < 2/\kappa` and then crawls along the
    valley floor at rate :math:`1 - \eta`.  With ``angle=0`` the valley lies along the
    :math:`x` axis and per-coordinate methods (AdaGrad, RMSProp, Adam) fix the scaling
    exactly; a rotated valley (e.g. ``angle=np.pi/6``) takes that advantage away.

    Shapes: ``p`` ``(2, ...)`` or ``x, y`` of one shape; returns ``p.shape[1:]`` / ``x.shape``.
    Chapter: *Gradient descent and its variants*.
    """
    if not kappa > 0:
        raise ValueError(f"elongated_valley: kappa must be positive, got {kappa!r}")
    xp, x, y = _xy(x, y)
    u, v = _rotate(x, y, angle)
    return 0.5 * (u * u + kappa * v * v)


def elongated_valley_grad(x, y=None, kappa=50.0, angle=0.0):
    r"""Gradient of :func:`elongated_valley`: :math:`\nabla f = R^\top (u, \kappa v)`.

    Shapes: returns ``(2,) + x.shape``.  Chapter: *Gradient descent and its variants*.
    """
    if not kappa > 0:
        raise ValueError(f"elongated_valley: kappa must be positive, got {kappa!r}")
    xp, x, y = _xy(x, y)
    u, v = _rotate(x, y, angle)
    c, s = math.cos(angle), math.sin(angle)
    return _stack(xp, c * u - s * kappa * v, s * u + c * kappa * v)


# --- Rosenbrock -------------------------------------------------------------------------
def rosenbrock(x, y=None, a=1.0, b=100.0):
    r"""Rosenbrock's banana function :cite:p:`rosenbrock1960automatic`; minimum 0 at :math:`(a, a^2)`.

    .. math:: f(x, y) = (a - x)^2 + b\,(y - x^2)^2

    Shapes: ``p`` ``(2, ...)`` or ``x, y`` of one shape; returns ``p.shape[1:]`` / ``x.shape``.
    Chapter: *Gradient descent and its variants*.
    """
    xp, x, y = _xy(x, y)
    return (a - x) ** 2 + b * (y - x * x) ** 2


def rosenbrock_grad(x, y=None, a=1.0, b=100.0):
    r"""Gradient of :func:`rosenbrock`: :math:`\big(-2(a-x) - 4bx(y-x^2),\; 2b(y-x^2)\big)`.

    Shapes: returns ``(2,) + x.shape``.  Chapter: *Gradient descent and its variants*.
    """
    xp, x, y = _xy(x, y)
    r = y - x * x
    return _stack(xp, -2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r)


# --- saddle -----------------------------------------------------------------------------
def saddle(x, y=None):
    r"""Saddle :math:`f(x, y) = x^2 - y^2`: zero gradient at the origin, a minimum along :math:`x`, a maximum along :math:`y`.

    Gradient descent started exactly on the :math:`x` axis converges to the saddle; any
    :math:`y \neq 0` grows by a factor :math:`1 + 2\eta` per step and escapes (the function
    is unbounded below).

    Shapes: ``p`` ``(2, ...)`` or ``x, y`` of one shape; returns ``p.shape[1:]`` / ``x.shape``.
    Chapter: *Gradient descent and its variants*.
    """
    xp, x, y = _xy(x, y)
    return x * x - y * y


def saddle_grad(x, y=None):
    r"""Gradient of :func:`saddle`: :math:`(2x, -2y)`.

    Shapes: returns ``(2,) + x.shape``.  Chapter: *Gradient descent and its variants*.
    """
    xp, x, y = _xy(x, y)
    return _stack(xp, 2.0 * x, -2.0 * y)


# --- Himmelblau -------------------------------------------------------------------------
HIMMELBLAU_MINIMA = np.array([
    [3.0, 2.0],
    [-2.805118086952745, 3.131312518250573],
    [-3.779310253377747, -3.283185991286170],
    [3.584428340330492, -1.848126526964404],
])


def himmelblau(x, y=None):
    r"""Himmelblau's function :cite:p:`himmelblau1972applied`: four minima, all of value 0.

    .. math:: f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2

    The minima are :math:`(3, 2)`, :math:`(-2.805, 3.131)`, :math:`(-3.779, -3.283)`,
    :math:`(3.584, -1.848)` (:data:`HIMMELBLAU_MINIMA`); which one an optimizer reaches
    depends on where it starts.

    Shapes: ``p`` ``(2, ...)`` or ``x, y`` of one shape; returns ``p.shape[1:]`` / ``x.shape``.
    Chapter: *Gradient descent and its variants*.
    """
    xp, x, y = _xy(x, y)
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def himmelblau_grad(x, y=None):
    r"""Gradient of :func:`himmelblau`: :math:`\big(4x\,r_1 + 2 r_2,\; 2 r_1 + 4y\, r_2\big)` with :math:`r_1 = x^2+y-11`, :math:`r_2 = x+y^2-7`.

    Shapes: returns ``(2,) + x.shape``.  Chapter: *Gradient descent and its variants*.
    """
    xp, x, y = _xy(x, y)
    r1, r2 = x * x + y - 11.0, x + y * y - 7.0
    return _stack(xp, 4.0 * x * r1 + 2.0 * r2, 2.0 * r1 + 4.0 * y * r2)


# --- Gaussian wells ---------------------------------------------------------------------
WELLS = (  # (centre x, centre y, depth)
    (1.5, 1.0, 1.2),
    (-1.5, -0.5, 0.6),
    (0.5, -1.8, 0.8),
)
WELL_WIDTH = 0.7
BOWL = 0.05


# the three minima (found by Newton's method), deepest first: values -1.0440, -0.6386, -0.4881
GAUSSIAN_WELLS_MINIMA = (
    (1.440731562919, 0.96025780608),
    (0.464621997134, -1.690060636864),
    (-1.374117015451, -0.469174253709),
)


def gaussian_wells(x, y=None):
    r"""Three Gaussian wells of different depths in a shallow bowl: one global and two local minima.

    .. math:: f(x, y) = c\,(x^2 + y^2) - \sum_{k=1}^{3} d_k
              \exp\!\Big(-\frac{(x - a_k)^2 + (y - b_k)^2}{2 s^2}\Big)

    with centres :math:`(a_k, b_k)` and depths :math:`d_k` in :data:`WELLS` (the deepest,
    1.2, near :math:`(1.5, 1)`; 0.6 near :math:`(-1.5, -0.5)`; 0.8 near :math:`(0.5, -1.8)`),
    width :math:`s = 0.7` and :math:`c = 0.05`.  Gradient descent ends in the well whose basin
    it starts in; momentum can carry it over a rim.

    Shapes: ``p`` ``(2, ...)`` or ``x, y`` of one shape; returns ``p.shape[1:]`` / ``x.shape``.
    Chapter: *Gradient descent and its variants*.
    """
    xp, x, y = _xy(x, y)
    f = BOWL * (x * x + y * y)
    for a, b, d in WELLS:
        f = f - d * xp.exp(-((x - a) ** 2 + (y - b) ** 2) / (2 * WELL_WIDTH ** 2))
    return f


def gaussian_wells_grad(x, y=None):
    r"""Gradient of :func:`gaussian_wells`: :math:`2c\,(x, y) + \sum_k \frac{d_k}{s^2} e_k\, (x - a_k, y - b_k)`, with :math:`e_k` the :math:`k`-th exponential.

    Shapes: returns ``(2,) + x.shape``.  Chapter: *Gradient descent and its variants*.
    """
    xp, x, y = _xy(x, y)
    gx, gy = 2 * BOWL * x, 2 * BOWL * y
    for a, b, d in WELLS:
        e = d * xp.exp(-((x - a) ** 2 + (y - b) ** 2) / (2 * WELL_WIDTH ** 2)) / WELL_WIDTH ** 2
        gx, gy = gx + e * (x - a), gy + e * (y - b)
    return _stack(xp, gx, gy)


# --- the collection ---------------------------------------------------------------------
@dataclass(frozen=True)
class Function2D:
    """A test function with its gradient, a plotting window, a suggested start and its known minima."""

    name: str
    f: Callable = field(repr=False)
    grad: Callable = field(repr=False)
    xlim: tuple = (-2.0, 2.0)
    ylim: tuple = (-2.0, 2.0)
    start: tuple = (1.5, 1.5)
    minima: tuple = ()

    def __call__(self, x, y=None):
        return self.f(x, y)

    def grid(self, n: int = 200):
        """``X, Y, F`` on an ``n x n`` grid over the window, ready for ``plt.contour(X, Y, F)``."""
        X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        return X, Y, self.f(X, Y)


TEST_FUNCTIONS = {
    "quadratic_bowl": Function2D("quadratic_bowl", quadratic_bowl, quadratic_bowl_grad,
                                 (-2, 2), (-2, 2), (1.5, 1.0), ((0.0, 0.0),)),
    "elongated_valley": Function2D("elongated_valley", elongated_valley, elongated_valley_grad,
                                   (-2, 2), (-1, 1), (-1.8, 0.3), ((0.0, 0.0),)),
    "rosenbrock": Function2D("rosenbrock", rosenbrock, rosenbrock_grad,
                             (-2, 2), (-1, 3), (-1.2, 1.0), ((1.0, 1.0),)),
    "saddle": Function2D("saddle", saddle, saddle_grad, (-2, 2), (-2, 2), (1.5, 0.01), ()),
    "himmelblau": Function2D("himmelblau", himmelblau, himmelblau_grad, (-5, 5), (-5, 5),
                             (0.0, 0.0), tuple(map(tuple, HIMMELBLAU_MINIMA))),
    "gaussian_wells": Function2D("gaussian_wells", gaussian_wells, gaussian_wells_grad,
                                 (-3, 3), (-3, 3), (-2.5, 0.5), GAUSSIAN_WELLS_MINIMA),
}


def get_test_function(name: str) -> Function2D:
    """A :class:`Function2D` by name: ``"quadratic_bowl"``, ``"elongated_valley"``, ``"rosenbrock"``, ``"saddle"``, ``"himmelblau"``, ``"gaussian_wells"``."""
    key = str(name).lower().replace("-", "_").replace(" ", "_")
    if key not in TEST_FUNCTIONS:
        raise ValueError(f"unknown test function {name!r}; known: {', '.join(TEST_FUNCTIONS)}")
    return TEST_FUNCTIONS[key]


# --- running an optimizer ---------------------------------------------------------------
def run_optimizer(opt, f, grad, x0, steps):
    r"""Run ``opt`` for ``steps`` steps on a 2-D function from ``x0``; return the path.

    .. math:: \mathbf p_0 = \mathbf x_0, \qquad \mathbf p_k = \text{opt.step}(\mathbf p_{k-1},
              \nabla f(\mathbf p_{k-1})), \quad k = 1, \dots, \text{steps}

    The optimizer is :meth:`~nnbook.optimizers.Optimizer.reset` first, so every run starts
    fresh.  If the iterate or :math:`f` becomes infinite or NaN (a learning rate that is too
    large), the run stops there and the remaining rows are NaN (plotting skips them).

    Shapes: ``x0`` ``(2,)`` → ``(steps + 1, 2)``.  Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    opt : Optimizer
        E.g. ``nb.optimizers.Momentum(lr=0.01, beta=0.9)``.
    f : callable or None
        The function (a :class:`Function2D` works), used to detect divergence.
    grad : callable
        Its gradient, taking a point ``p`` of shape ``(2,)``.
    x0 : array_like
        Starting point, shape ``(2,)``.
    steps : int
        Number of steps (``>= 0``).

    Returns
    -------
    numpy.ndarray
        The path, shape ``(steps + 1, 2)``; row 0 is ``x0``.
    """
    steps = _count("steps", steps, "run_optimizer", minimum=0)
    p = np.array(x0, dtype=np.float64)
    if p.shape != (2,):
        raise ValueError(f"run_optimizer: x0 must be a point of shape (2,), got shape {p.shape}")
    path = np.full((steps + 1, 2), np.nan)
    path[0] = p
    opt.reset()
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            g = np.asarray(grad(p), dtype=np.float64).reshape(2)
            opt.step(p, g)
            if not np.all(np.isfinite(p)) or (f is not None and not np.isfinite(f(p))):
                break
            path[k] = p
    return path
