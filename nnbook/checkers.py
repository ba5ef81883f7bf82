r"""Checkers for exercises: compare your implementation with ``nnbook``'s and say where they differ.

Each checker runs your function on data it makes up, compares the result with the package's
own implementation (and, for derivatives, with centred finite differences of *your*
function), prints one ``PASS`` or ``FAIL`` line per comparison with the largest absolute and
relative discrepancy and where it occurred, and returns a :class:`CheckResult`, which is
true when everything passed::

    def my_sigmoid(z): return 1 / (1 + np.exp(-z))
    def my_sigmoid_prime(z): return my_sigmoid(z) * (1 - my_sigmoid(z))
    nb.checkers.check_activation(my_sigmoid, my_sigmoid_prime, "sigmoid")

An entry passes when :math:`|\text{yours} - \text{reference}| \le \text{atol} + \text{rtol}\,
|\text{reference}|`; the relative discrepancy reported is
:math:`|a - b| / \max(|a|, |b|)`.  When a failure has a simple pattern (your values are a
constant multiple of the reference, of the opposite sign, transposed, of a different shape)
the message says so.

Every checker also fails, with a message that says so, a function that changes one of its
array arguments in place, returns ``None``, or (with ``own_code=True``, for graded work) calls
``nnbook``'s own implementation.  The book uses these in the exercises of the chapters
*Activation functions*, *Loss functions*, *Backpropagation* and *Gradient descent and its
variants*, and the autograded homework of the page *For instructors* is built on them.
"""
from __future__ import annotations

import inspect
import math
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .activations import get_activation, softmax, softmax_jacobian
from .backend import to_numpy
from .gradcheck import numerical_gradient
from .layers import Dense
from .losses import get_loss
from .optimizers import get_optimizer

__all__ = [
    "CheckResult", "Comparison", "StudentMistake", "compare",
    "check_activation", "check_loss", "check_layer_backward", "check_forward",
    "check_network_backward", "check_optimizer_step", "check_training_loop", "selftest",
]

_KINKS = {"relu": (0.0,), "leaky_relu": (0.0,), "step": (0.0,), "sign": (0.0,),
          "piecewise_linear": (-0.5, 0.5)}


# --- results ----------------------------------------------------------------------------
@dataclass
class Comparison:
    """One comparison of your array with a reference: passed, largest discrepancies and where."""

    label: str
    passed: bool
    max_abs: float = 0.0
    max_rel: float = 0.0
    where_abs: str = ""
    where_rel: str = ""
    hint: str = ""

    def line(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        text = f"{status}  {self.label}"
        if math.isfinite(self.max_abs) or self.where_abs:
            text += f": max abs err {self.max_abs:.3g}"
            if self.where_abs:
                text += f" at {self.where_abs}"
            text += f", max rel err {self.max_rel:.3g}"
            if self.where_rel:
                text += f" at {self.where_rel}"
        if self.hint:
            text += f"\n      hint: {self.hint}"
        return text


@dataclass
class CheckResult:
    """What a checker found: ``passed`` (also the truth value), the comparisons, and the worst discrepancies."""

    name: str
    comparisons: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.comparisons) and all(c.passed for c in self.comparisons)

    @property
    def max_abs(self) -> float:
        return max((c.max_abs for c in self.comparisons), default=0.0)

    @property
    def max_rel(self) -> float:
        return max((c.max_rel for c in self.comparisons), default=0.0)

    @property
    def failures(self) -> list:
        return [c for c in self.comparisons if not c.passed]

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = f"{'PASS' if self.passed else 'FAIL'}: {self.name}"
        return "\n".join([head] + ["  " + c.line() for c in self.comparisons])

    __repr__ = __str__


def _finish(result: CheckResult, verbose: bool) -> CheckResult:
    if verbose:
        print(result)
    return result


class StudentMistake(Exception):
    """A mistake in the code under test that a checker names (a missing ``return``, ...).

    Raised inside a checker and reported as a failed comparison with the message as its hint;
    never a crash of the checker.
    """


def _raised(label: str, exc: BaseException) -> Comparison:
    if isinstance(exc, StudentMistake):
        return Comparison(label, False, math.inf, math.inf, hint=str(exc))
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return Comparison(label, False, math.inf, math.inf, hint=f"your code raised {last}")


_HERE = os.path.abspath(__file__)
_PACKAGE_DIR = os.path.dirname(_HERE)


class _Runner:
    """Calls the code under test for one check, and watches what a comparison of results cannot see.

    Every call gets private copies of the array arguments; afterwards the copies are compared
    with the originals, and an argument changed in place is reported once, as a failed
    comparison (an in-place ``z[z < 0] = 0`` computes the right values and corrupts the
    caller's array).  A result of ``None`` raises :class:`StudentMistake` ("a missing
    ``return``?").  With ``own_code=True`` the call runs under :func:`sys.setprofile`, and any
    call into ``nnbook``'s own modules, other than into the functions the checker passes in
    (``allowed``, e.g. the activation's derivative given to a backward pass), is reported:
    the code under test must not hand back the package's implementation.
    """

    def __init__(self, result: CheckResult, own_code: bool = False, allowed=()):
        self.result = result
        self.own_code = own_code
        self.allowed = {c for c in (getattr(f, "__code__", None) for f in allowed) if c}
        self.reported: set = set()

    def __call__(self, fn, *args, names=(), label="your function", returns=True):
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        before = [a.copy() if isinstance(a, np.ndarray) else None for a in copies]
        out = self._watched(fn, copies, label) if self.own_code else fn(*copies)
        for i, (a, b) in enumerate(zip(copies, before)):
            name = names[i] if i < len(names) else f"argument {i + 1}"
            if b is None or name in self.reported:
                continue
            if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
                self.reported.add(name)
                self.result.comparisons.append(Comparison(
                    f"{label} leaves its argument {name} unchanged", False, math.inf, math.inf,
                    hint=f"your function changed its argument `{name}` in place (an assignment "
                         f"like `{name}[...] = ...`, `{name} *= ...` or `out={name}`): compute a "
                         f"new array instead, the caller still needs the original `{name}`"))
        if returns and out is None:
            raise StudentMistake("your function returned None: a missing `return`?")
        return out

    def _watched(self, fn, args, label):
        called: list = []
        depth = 0
        allowed = self.allowed

        def profile(frame, event, arg):
            nonlocal depth
            if event == "call":
                code = frame.f_code
                if depth or code in allowed:
                    depth += 1
                elif code.co_filename.startswith(_PACKAGE_DIR) and code.co_filename != _HERE:
                    called.append(f"{frame.f_globals.get('__name__', '?')}.{code.co_name}")
            elif event == "return" and depth:
                depth -= 1

        previous = sys.getprofile()
        previous_threads = threading.getprofile()
        sys.setprofile(profile)
        threading.setprofile(profile)        # threads the function starts are watched too
        try:
            out = fn(*args)
        finally:
            switched_off = sys.getprofile() is not profile
            sys.setprofile(previous)
            threading.setprofile(previous_threads)
        if switched_off and "watch" not in self.reported:
            self.reported.add("watch")
            self.result.comparisons.append(Comparison(
                f"{label} leaves the checker's watch on", False, math.inf, math.inf,
                hint="your function changed sys.setprofile, which the checker uses to see "
                     "what it calls: leave it alone"))
        if called and "own code" not in self.reported:
            self.reported.add("own code")
            names = ", ".join(dict.fromkeys(called))
            self.result.comparisons.append(Comparison(
                f"{label} is your own code", False, math.inf, math.inf,
                hint=f"your function calls nnbook's implementation ({names}): write it "
                     f"yourself with NumPy"))
        return out


# --- comparing two arrays ---------------------------------------------------------------
def _ratio_hint(mine, ref, hints) -> str:
    """Say so when ``mine`` is (nearly) a constant multiple of ``ref`` in all or most entries."""
    big = np.abs(ref) > 1e-8 * max(float(np.abs(ref).max()), 1e-300)
    if big.sum() < min(2, ref.size):
        return ""
    c = mine[big] / ref[big]
    c0 = float(np.median(c))
    share = float(np.mean(np.abs(c - c0) <= 1e-3 * abs(c0)))
    if c0 == 0 or share < 0.8:
        return ""
    how = "everywhere" if share == 1.0 else f"in {share:.0%} of the entries"
    if math.isclose(c0, 1.0, rel_tol=1e-3) and share == 1.0:
        rel = float(np.max(np.abs(c - 1.0)))
        return (f"small differences in every entry (up to {rel:.1e} relative): float32 instead "
                f"of float64 (NumPy's default), or an approximate formula?")
    if math.isclose(c0, 1.0, rel_tol=1e-3):   # right in most entries: no factor to blame
        return (f"yours agrees with the reference in {share:.0%} of the entries and differs in "
                f"the rest: look at the entries where it differs (above) and what is special "
                f"about them (small or zero values? an edge of the range?)")
    for value, text in hints.items():
        if math.isclose(c0, value, rel_tol=1e-3):
            return f"yours is {c0:.4g} × the reference {how}: {text}"
    if math.isclose(c0, -1.0, rel_tol=1e-3):
        return f"yours is −1 × the reference {how}: a wrong sign?"
    return f"yours is {c0:.4g} × the reference {how}: a missing or extra constant factor?"


def _index(flat: int, shape) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def compare(label: str, mine, ref, *, rtol: float = 1e-6, atol: float = 1e-9,
            where: Callable | None = None, hints: dict | None = None,
            mistakes: dict | None = None) -> Comparison:
    r"""Compare your array ``mine`` with ``ref`` entry by entry.

    Passes when every entry has :math:`|m - r| \le \text{atol} + \text{rtol}\,|r|`.  Reports
    the largest absolute error :math:`|m - r|` and relative error
    :math:`|m - r| / \max(|m|, |r|)` with their positions (``where(index)`` describes a
    position; default: the index), and a hint for shape mismatches, transposes, NaNs and
    constant factors (``hints`` maps a factor to an explanation).  ``mistakes`` maps an
    explanation to the result a known mistake produces (e.g. the softmax taken along the wrong
    axis); when yours matches one of them, that explanation is the hint.

    Shapes: ``mine`` and ``ref`` of the same shape (a mismatch is reported, not raised).
    """
    hints = hints or {}
    try:
        mine = np.asarray(to_numpy(mine), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        return Comparison(label, False, math.inf, math.inf,
                          hint=f"could not read your result as an array of numbers ({exc})")
    ref = np.asarray(to_numpy(ref), dtype=np.float64)
    if mine.shape != ref.shape:
        hint = f"expected shape {ref.shape}, got {mine.shape}"
        if mine.ndim == 2 and mine.shape == ref.shape[::-1]:
            hint += ": transposed?"
        elif mine.size == ref.size:
            hint += ": right number of entries, wrong shape (keepdims=True? a column (n, 1)?)"
        return Comparison(label, False, math.inf, math.inf, hint=hint)
    where = where or (lambda idx: f"index {idx}")
    if not np.all(np.isfinite(mine)):
        bad = _index(np.argmax(~np.isfinite(mine)), mine.shape)
        return Comparison(label, False, math.inf, math.inf, where(bad), where(bad),
                          hint=f"yours has NaN or inf (first at {where(bad)})")
    if mine.size == 0:
        return Comparison(label, True)
    err = np.abs(mine - ref)
    scale = np.maximum(np.abs(mine), np.abs(ref))
    rel = np.divide(err, scale, out=np.zeros_like(err), where=scale > 0)
    i_abs = _index(np.argmax(err), err.shape)
    i_rel = _index(np.argmax(rel), rel.shape)
    passed = bool(np.all(err <= atol + rtol * np.abs(ref)))
    hint = ""
    if not passed:
        for text, wrong in (mistakes or {}).items():
            wrong = np.asarray(to_numpy(wrong), dtype=np.float64)
            if wrong.shape == mine.shape and np.allclose(mine, wrong, rtol=max(rtol, 1e-9),
                                                         atol=atol, equal_nan=True):
                hint = text
                break
        else:
            hint = _ratio_hint(mine, ref, hints)
        if not hint and mine.ndim == 2 and mine.shape[0] == mine.shape[1] \
                and np.allclose(mine.T, ref, rtol=rtol, atol=atol):
            hint = "yours equals the transpose of the reference"
    return Comparison(label, passed, float(err[i_abs]), float(rel[i_rel]),
                      where(i_abs), where(i_rel), hint)


def _scalar(x) -> float:
    a = np.asarray(to_numpy(x), dtype=np.float64)
    if a.size != 1:
        raise ValueError(f"the cost must be a number, got an array of shape {a.shape}")
    return float(a.reshape(()))


# --- activations ------------------------------------------------------------------------
def check_activation(f, df=None, name=None, z=None, *, rtol=1e-6, atol=1e-8, h=1e-5,
                     alpha=0.01, own_code=False, verbose=True) -> CheckResult:
    r"""Check your activation ``f`` and its derivative ``df`` against ``nnbook``'s, and ``df`` against finite differences of your ``f``.

    Three comparisons on a grid of points :math:`z` (default 400 points in :math:`[-4, 4]`,
    leaving out the kinks of ReLU, step, ...):

    1. ``f(z)`` against ``nnbook.activations.<name>`` (skipped when ``name`` is ``None``);
    2. ``df(z)`` against ``nnbook.activations.<name>_prime`` (skipped when ``name`` or ``df``
       is ``None``);
    3. ``df(z)`` against the centred difference of *your* ``f``:

       .. math:: f'(z) \approx \frac{f(z+h) - f(z-h)}{2h}

    Your functions must not change their argument in place (``z[z < 0] = 0`` gives the right
    values and corrupts the caller's ``Z``): that is reported as a failure.

    For ``name="softmax"``, ``f`` maps a matrix ``(n, m)`` to one of the same shape (columns
    are samples), and ``df`` (optional) maps one sample ``z`` of shape ``(n,)`` to the Jacobian
    :math:`\partial s_k/\partial z_j`, shape ``(n, n)``.  The softmax is also checked at large
    logits (``z + 1000``, where :math:`e^{z}` overflows unless the column's maximum is
    subtracted first), and a softmax taken along the wrong axis is named as such.

    Shapes: ``z`` any shape (elementwise); ``(n, m)`` for softmax.
    Chapter: *Activation functions*.

    Parameters
    ----------
    f, df : callable
        Your activation and its derivative, elementwise on arrays.  ``df`` may be ``None``.
    name : str, optional
        The ``nnbook`` activation to compare with (``"sigmoid"``, ``"relu"``, ...).
    z : array, optional
        Points to test at (default: the grid above, shape ``(1, 400)``; for softmax a random
        ``(5, 8)`` matrix).
    rtol, atol : float
        Tolerances (see the module docstring).
    h : float
        Step of the centred difference.
    alpha : float
        Slope of ``"leaky_relu"`` for the reference.
    own_code : bool
        Fail when your functions call ``nnbook``'s own implementation (for graded work).
    verbose : bool
        Print the result.

    Returns
    -------
    CheckResult
        True when every comparison passed.
    """
    ref = get_activation(name, alpha=alpha) if name is not None else None
    label = f"check_activation({ref.name!r})" if ref is not None else "check_activation"
    result = CheckResult(label)
    run = _Runner(result, own_code)
    if ref is not None and ref.name == "softmax":
        return _finish(_check_softmax(f, df, z, result, run, rtol, atol, h), verbose)
    if z is None:
        z = np.linspace(-4.0, 4.0, 400)
        for k in _KINKS.get(ref.name if ref is not None else "", ()):
            z = z[np.abs(z - k) > 100 * h]
        z = z.reshape(1, -1)
    z = np.asarray(z, dtype=np.float64)

    def where(idx):
        return f"z={z[idx]:.6g}"

    if ref is not None:
        try:
            mine = run(f, z, names=("z",), label="f")
            result.comparisons.append(compare(f"f  vs nnbook {ref.name}", mine, ref.forward(z),
                                              rtol=rtol, atol=atol, where=where))
        except Exception as exc:  # noqa: BLE001 - report any error in the student's code
            result.comparisons.append(_raised(f"f  vs nnbook {ref.name}", exc))
    if df is not None:
        try:
            dmine = run(df, z, names=("z",), label="df")
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised("f' (your df)", exc))
            return _finish(result, verbose)
        if ref is not None:
            result.comparisons.append(compare(f"f' vs nnbook {ref.name}_prime", dmine,
                                              ref.prime(z), rtol=rtol, atol=atol, where=where,
                                              hints={2.0: "a factor 2?", 0.5: "a factor 1/2?"}))
        try:
            numeric = (np.asarray(run(f, z + h, names=("z",), label="f"), dtype=np.float64)
                       - np.asarray(run(f, z - h, names=("z",), label="f"),
                                    dtype=np.float64)) / (2 * h)
            result.comparisons.append(compare("f' vs centred difference of your f", dmine,
                                              numeric, rtol=rtol, atol=max(atol, 1e-7),
                                              where=where))
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised("f' vs centred difference of your f", exc))
    if not result.comparisons:
        raise ValueError("check_activation: give a name to compare f with, or a derivative df")
    return _finish(result, verbose)


_AXIS_HINT = ("you normalised along axis 1, over the samples: samples are columns, so each "
              "column must sum to 1 (sum over the classes, axis=0, keepdims=True)")


def _check_softmax(f, df, z, result, run, rtol, atol, h):
    if z is None:
        Z = np.random.default_rng(0).normal(0.0, 2.0, size=(5, 8))
    else:
        Z = np.asarray(z, dtype=np.float64)
        Z = Z.reshape(-1, 1) if Z.ndim == 1 else Z
        if Z.ndim != 2:
            raise ValueError(f"check_activation('softmax'): z must be (n, m), got shape {Z.shape}")

    def where(idx):
        return f"class {idx[0]} of sample {idx[1]}"

    for label, Zc in (("f  vs nnbook softmax", Z),
                      ("f  vs nnbook softmax at large logits (z + 1000)", Z + 1000.0)):
        try:
            mine = run(f, Zc, names=("Z",), label="f")
            cmp = compare(label, mine, softmax(Zc), rtol=rtol, atol=atol, where=where,
                          mistakes={_AXIS_HINT: softmax(Zc, axis=1)} if Zc.shape[1] > 1 else {})
            if not cmp.passed and Zc is not Z and not np.all(np.isfinite(
                    np.asarray(to_numpy(mine), dtype=np.float64))):
                cmp.hint = ("exp overflowed to inf (inf/inf = NaN): subtract each column's "
                            "maximum before exponentiating, softmax(z) = softmax(z − max z)")
            result.comparisons.append(cmp)
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised(label, exc))
    if df is not None:
        z = Z[:, 0].copy()
        label = "df(z) vs nnbook softmax_jacobian"
        try:
            jac = run(df, z, names=("z",), label="df")
            result.comparisons.append(compare(
                label, jac, softmax_jacobian(z), rtol=rtol, atol=atol,
                where=lambda idx: f"entry d s_{idx[0]} / d z_{idx[1]}"))
            numeric = np.empty((z.size, z.size))
            for j in range(z.size):
                e = np.zeros_like(z)
                e[j] = h
                fp = np.asarray(run(f, (z + e).reshape(-1, 1), names=("Z",), label="f"),
                                dtype=np.float64).ravel()
                fm = np.asarray(run(f, (z - e).reshape(-1, 1), names=("Z",), label="f"),
                                dtype=np.float64).ravel()
                numeric[:, j] = (fp - fm) / (2 * h)
            result.comparisons.append(compare(
                "df(z) vs centred differences of your f", jac, numeric, rtol=rtol,
                atol=max(atol, 1e-7), where=lambda idx: f"entry d s_{idx[0]} / d z_{idx[1]}"))
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised(label, exc))
    return result


# --- losses -----------------------------------------------------------------------------
def _loss_data(name: str, n_out: int, m: int, rng):
    """Predictions and targets that suit the loss ``name``."""
    if name in ("binary_cross_entropy",):
        return rng.uniform(0.05, 0.95, (n_out, m)), rng.integers(0, 2, (n_out, m)).astype(float)
    if name in ("binary_cross_entropy_with_logits",):
        return rng.normal(0.0, 2.0, (n_out, m)), rng.integers(0, 2, (n_out, m)).astype(float)
    if name in ("categorical_cross_entropy", "softmax_cross_entropy"):
        Y = np.eye(n_out)[:, rng.integers(0, n_out, m)]
        Z = rng.normal(0.0, 2.0, (n_out, m))
        return (softmax(Z) if name == "categorical_cross_entropy" else Z), Y
    Y_hat, Y = rng.normal(0.0, 1.5, (n_out, m)), rng.normal(0.0, 1.5, (n_out, m))
    return Y_hat, Y


def _loss_hints(name: str, n_out: int, m: int) -> tuple[dict, dict]:
    """Hints for constant factors in the gradient and in the cost of the loss ``name``."""
    classes = "classes" if "entropy" in name else "outputs"
    grad = {float(m): f"divide the gradient by m = {m} (the cost is a mean over the samples)",
            1.0 / m: f"divided by m = {m} twice?",
            1.0 / n_out: f"divided by the number of {classes} n = {n_out} too: the cost sums over "
                         f"the {classes} of a sample and averages over the m samples only "
                         f"(np.mean of the whole matrix divides by n·m)"}
    value = {float(m): f"average over the m = {m} samples (you summed)",
             1.0 / m: f"divided by m = {m} twice?",
             1.0 / n_out: f"you averaged over all n·m = {n_out * m} entries (np.mean of the "
                          f"matrix): sum over the {n_out} {classes} of each sample, then average "
                          f"over the m = {m} samples (samples are columns)"}
    if name == "mse":
        for d in (grad, value):
            d[2.0] = "a factor 2 (the ½ convention of MSE? pass half=True to compare with ½·MSE)"
            d[0.5] = "a factor 1/2 (the ½ convention of MSE? compare with half=True/False)"
    else:
        for d in (grad, value):
            d[2.0], d[0.5] = "a factor 2?", "a factor 1/2?"
    return grad, value


def check_loss(value, grad, name, *, n_out=3, m=6, seed=0, rtol=1e-6, atol=1e-9, h=1e-6,
               own_code=False, verbose=True, **loss_kwargs) -> CheckResult:
    r"""Check your cost ``value(Y_hat, Y)`` and gradient ``grad(Y_hat, Y)`` against ``nnbook``'s loss ``name``.

    Your functions follow the package's convention: ``Y_hat`` and ``Y`` are ``(n_L, m)``
    (samples in columns), the cost is the **mean** over the :math:`m` samples of the
    per-sample loss (summed over the :math:`n_L` outputs), and the gradient is
    :math:`\partial J/\partial \hat Y`, **already divided by m**.  Three comparisons on random
    data suited to the loss (probabilities and 0/1 labels for binary cross-entropy, one-hot
    columns for categorical cross-entropy, logits for the ``*_with_logits`` /
    ``softmax_cross_entropy`` losses):

    1. ``value`` against ``nnbook.losses.<name>``;
    2. ``grad`` against ``nnbook.losses.<name>_grad``;
    3. ``grad`` against centred differences of *your* ``value``:
       :math:`\partial J/\partial \hat y_{ki} \approx (J(\hat y_{ki}+h) - J(\hat y_{ki}-h))/2h`
       (of ``nnbook``'s cost instead when yours failed 1., so that a wrong cost does not also
       fail a right gradient).

    For ``softmax_cross_entropy`` (from logits) the cost is also checked at large logits
    (``Z + 1000``: a log of a softmax computed naively is ``log(inf/inf)``) and with one wrong
    class 800 above the others (the log of a softmax that underflowed to 0 is ``-inf``): both
    need log-sum-exp,
    and a softmax along the wrong axis is named.  Changing ``Y_hat`` or ``Y`` in place is
    reported.

    Shapes: ``Y_hat``, ``Y`` and the gradient are ``(n_out, m)``.  Chapter: *Loss functions*.

    Parameters
    ----------
    value, grad : callable
        Your cost (returns a number) and gradient (returns an ``(n_L, m)`` array); ``grad``
        may be ``None``.
    name : str
        ``"mse"``, ``"mae"``, ``"huber"``, ``"bce"``, ``"cce"``, ``"softmax_cross_entropy"``, ...
    n_out, m : int
        Size of the random test data (keep them different from each other and from 2, so that
        a factor of n, of m and of 2 can be told apart).
    seed : int
        Seed of the random test data.
    own_code : bool
        Fail when your functions call ``nnbook``'s own implementation (for graded work).
    **loss_kwargs
        Passed to the reference loss, e.g. ``half=True`` for MSE with the ½, ``delta=`` for Huber.

    Returns
    -------
    CheckResult
    """
    loss = get_loss(name, **loss_kwargs)
    result = CheckResult(f"check_loss({loss.name!r})")
    run = _Runner(result, own_code)
    Y_hat, Y = _loss_data(loss.name, n_out, m, np.random.default_rng(seed))
    hints, value_hints = _loss_hints(loss.name, n_out, m)
    mistakes, value_mistakes = {}, {}
    if loss.name == "softmax_cross_entropy":
        A_rows = softmax(Y_hat, axis=1)
        value_mistakes[_AXIS_HINT] = -np.sum(Y * np.log(A_rows)) / m
        mistakes[_AXIS_HINT] = (A_rows - Y) / m

    def where(idx):
        return f"Y_hat[{idx[0]}, {idx[1]}] (unit {idx[0]}, sample {idx[1]})"

    def cost(P):
        return _scalar(run(value, P, Y, names=("Y_hat", "Y"), label="value"))

    label = f"value vs nnbook {loss.name}"
    value_ok, mine = False, None
    try:
        mine = cost(Y_hat)
        cmp = compare(label, mine, loss.value(Y_hat, Y), rtol=rtol, atol=atol,
                      where=lambda idx: "the cost", hints=value_hints, mistakes=value_mistakes)
        result.comparisons.append(cmp)
        value_ok = cmp.passed
    except Exception as exc:  # noqa: BLE001
        result.comparisons.append(_raised(label, exc))
    if loss.name == "softmax_cross_entropy":
        far = Y_hat.copy()                 # one wrong class per sample 800 above the others
        wrong_class = (np.argmax(Y, axis=0) + 1) % Y.shape[0]
        far[wrong_class, np.arange(Y.shape[1])] += 800.0
        for label, Zc in (("value vs nnbook at large logits (Z + 1000)", Y_hat + 1000.0),
                          ("value vs nnbook with logits 800 apart", far)):
            try:
                with np.errstate(all="ignore"):
                    big = cost(Zc)
                cmp = compare(label, big, loss.value(Zc, Y), rtol=rtol, atol=atol,
                              where=lambda idx: "the cost")
                if not cmp.passed and not math.isfinite(big):
                    cmp.hint = ("the cost overflowed: compute log softmax from the logits with "
                                "log-sum-exp, log s_k = z_k − max z − log Σ_j exp(z_j − max z) "
                                "(the log of a softmax that underflowed to 0 is −inf)")
                result.comparisons.append(cmp)
            except Exception as exc:  # noqa: BLE001
                result.comparisons.append(_raised(label, exc))
    if grad is not None:
        label = f"grad vs nnbook {loss.name}_grad"
        try:
            g = run(grad, Y_hat, Y, names=("Y_hat", "Y"), label="grad")
            result.comparisons.append(compare(label, g, loss.grad(Y_hat, Y), rtol=rtol,
                                              atol=atol, where=where, hints=hints,
                                              mistakes=mistakes))
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised(label, exc))
            return _finish(result, verbose)
        grad_ok = result.comparisons[-1].passed
        label = "grad vs centred differences of your cost"
        try:
            P = Y_hat.copy()  # perturbed in place, one entry at a time
            cmp = None
            if mine is not None:
                cmp = compare(label, g, numerical_gradient(lambda: cost(P), P, h),
                              rtol=max(rtol, 1e-5), atol=max(atol, 1e-8), where=where,
                              hints=hints)
            if (cmp is None or not cmp.passed) and grad_ok and not value_ok:
                # your gradient is nnbook's and your cost is not: the cost is what is wrong
                cmp = compare("grad vs centred differences of nnbook's cost (your cost "
                              "differs, see above)", g,
                              numerical_gradient(lambda: float(loss.value(P, Y)), P, h),
                              rtol=max(rtol, 1e-5), atol=max(atol, 1e-8), where=where)
            if cmp is not None:
                result.comparisons.append(cmp)
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised(label, exc))
    return _finish(result, verbose)


# --- a layer's backward pass ------------------------------------------------------------
def check_layer_backward(backward_fn, activation="sigmoid", *, n_in=4, n_out=3, m=5, seed=0,
                         rtol=1e-7, atol=1e-12, own_code=False, verbose=True) -> CheckResult:
    r"""Check your backward pass of a dense layer against :class:`nnbook.Dense`.

    Your function has the signature ``backward_fn(dA, Z, A_prev, W, g_prime) -> (dA_prev, dW, db)``
    and implements the book's four equations:

    .. math:: dZ = dA \odot g'(Z), \quad dW = dZ\, A_{\text{prev}}^\top, \quad
              db = \sum_{i=1}^{m} dZ_{:,i}, \quad dA_{\text{prev}} = W^\top dZ

    where ``g_prime`` is the derivative of the activation (a function of ``Z``), and ``dA``
    already contains the :math:`1/m` of the cost, so nothing is divided by :math:`m` again.
    The data are random: ``A_prev`` ``(n_in, m)``, the layer's own weights ``W``
    ``(n_out, n_in)`` and ``Z = W A_prev + b``, and a random ``dA`` of order :math:`1/m`.
    Changing any argument in place (``dA *= ...``) is reported.

    Shapes: as above.  Chapter: *Backpropagation*.

    Parameters
    ----------
    backward_fn : callable
        Your function (see above).
    activation : str
        An elementwise activation name (``"sigmoid"``, ``"tanh"``, ``"relu"``, ...).
    n_in, n_out, m : int
        Sizes of the random layer and batch (keep ``n_in != n_out`` so a transposed ``dW`` shows).
    seed : int
        Seed of the random data.
    own_code : bool
        Fail when your function calls ``nnbook``'s own implementation (for graded work); the
        ``g_prime`` it is given may of course be called.

    Returns
    -------
    CheckResult
        Comparisons of ``dA_prev`` ``(n_in, m)``, ``dW`` ``(n_out, n_in)``, ``db`` ``(n_out, 1)``.
    """
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, activation, rng=rng)
    if layer.g.prime is None:
        raise ValueError(f"check_layer_backward needs an elementwise activation, got {activation!r}")
    layer.b[...] = rng.normal(0.0, 0.5, layer.b.shape)
    A_prev = rng.normal(size=(n_in, m))
    layer.forward(A_prev)
    dA = rng.normal(size=(n_out, m)) / m
    dA_prev_ref = layer.backward(dA.copy())
    refs = {"dA_prev": dA_prev_ref, "dW": layer.dW.copy(), "db": layer.db.copy()}
    result = CheckResult(f"check_layer_backward({layer.g.name!r})")
    run = _Runner(result, own_code, allowed=(layer.g.prime,))
    try:
        out = run(backward_fn, dA, layer.Z, A_prev, layer.W, layer.g.prime,
                  names=("dA", "Z", "A_prev", "W"), label="backward_fn")
        out = tuple(out)
        if len(out) != 3:
            raise StudentMistake(f"expected 3 results (dA_prev, dW, db), got {len(out)}")
    except Exception as exc:  # noqa: BLE001
        result.comparisons.append(_raised("backward_fn(dA, Z, A_prev, W, g_prime)", exc))
        return _finish(result, verbose)
    hints = {float(m): f"multiplied by m = {m}?",
             1.0 / m: f"divided by m = {m} again? dA already has the 1/m"}
    dZ_wrong = dA  # the derivative g'(Z) left out
    mistakes = {"dA_prev": {"dZ = dA: the factor g'(Z) is missing": layer.W.T @ dZ_wrong},
                "dW": {"dZ = dA: the factor g'(Z) is missing": dZ_wrong @ A_prev.T},
                "db": {"dZ = dA: the factor g'(Z) is missing":
                       dZ_wrong.sum(axis=1, keepdims=True)}}
    places = {"dA_prev": lambda i: f"dA_prev[{i[0]}, {i[1]}] (input {i[0]}, sample {i[1]})",
              "dW": lambda i: f"dW[{i[0]}, {i[1]}] (unit {i[0]}, input {i[1]})",
              "db": lambda i: f"db[{i[0]}] (unit {i[0]})"}
    for (key, ref), mine in zip(refs.items(), out):
        result.comparisons.append(compare(f"{key} vs nnbook.Dense", mine, ref, rtol=rtol,
                                          atol=atol, where=places[key], hints=hints,
                                          mistakes=mistakes[key]))
    return _finish(result, verbose)


# --- a network's forward and backward pass ----------------------------------------------
def _small_network(sizes, activations, seed):
    """A random network (squared-error loss, random biases) and an input batch of 7 samples."""
    from .network import Network

    net = Network(list(sizes), activations=list(activations), loss="mse", seed=seed)
    rng = np.random.default_rng(seed + 1)
    for layer in net.layers:
        layer.b[...] = rng.normal(0.0, 0.5, layer.b.shape)
    X = rng.normal(size=(sizes[0], 7))
    return net, X, rng


def check_forward(forward_fn, sizes=(4, 5, 3, 2), activations=("relu", "tanh", "sigmoid"), *,
                  seed=0, rtol=1e-9, atol=1e-12, own_code=False, verbose=True) -> CheckResult:
    r"""Check your forward pass of a whole network against :class:`nnbook.Network`.

    Your function has the signature of the chapter *Forward propagation*,
    ``forward_fn(params, activations, X)`` with ``params = [(W1, b1), ..., (WL, bL)]``
    (``W^{[l]}`` of shape ``(n_l, n_{l-1})``, ``b^{[l]}`` of shape ``(n_l, 1)``) and
    ``activations`` the list of the layers' activation functions, and computes

    .. math:: A^{[0]} = X, \quad Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \quad
              A^{[l]} = g^{[l]}(Z^{[l]}), \quad l = 1, \dots, L.

    It returns :math:`A^{[L]}`, or ``(A_L, cache)`` with ``cache = [(A_prev, Z, A), ...]`` one
    triple per layer, which is then checked too.  Changing ``X`` or a parameter in place is
    reported.

    Shapes: ``X`` ``(n_0, m)`` → ``A_L`` ``(n_L, m)``.  Chapter: *Forward propagation*.

    Parameters
    ----------
    forward_fn : callable
        Your function (see above).
    sizes : sequence of int
        Layer sizes :math:`n_0, \dots, n_L` of the random test network.
    activations : sequence of str
        Activation names of layers :math:`1, \dots, L`.
    seed : int
        Seed of the random network and data.
    own_code : bool
        Fail when your function calls ``nnbook``'s own implementation, other than the
        activation functions it is given (for graded work).

    Returns
    -------
    CheckResult
    """
    net, X, _ = _small_network(sizes, activations, seed)
    A_ref = net.forward(X)
    gs = [layer.g.forward for layer in net.layers]
    params = [(layer.W.copy(), layer.b.copy()) for layer in net.layers]
    result = CheckResult(f"check_forward({' -> '.join(map(str, sizes))})")
    run = _Runner(result, own_code, allowed=gs)
    flat = [a for pair in params for a in pair]
    names = tuple(f"{p}{l}" for l in range(1, len(params) + 1) for p in ("W", "b"))

    def call(X_, *arrays):
        pairs = [(arrays[2 * i], arrays[2 * i + 1]) for i in range(len(params))]
        return forward_fn(pairs, gs, X_)

    try:
        out = run(call, X, *flat, names=("X",) + names, label="forward_fn")
    except Exception as exc:  # noqa: BLE001
        result.comparisons.append(_raised("forward_fn(params, activations, X)", exc))
        return _finish(result, verbose)
    cache = None
    if isinstance(out, list) and len(out) == 2 and isinstance(out[1], (list, tuple)):
        out = tuple(out)                       # [A_L, cache]: as good as a tuple
    if isinstance(out, tuple):
        if len(out) != 2:
            result.comparisons.append(_raised("forward_fn(params, activations, X)", StudentMistake(
                f"return A_L or (A_L, cache); got a tuple of {len(out)}")))
            return _finish(result, verbose)
        out, cache = out
    no_last = net.layers[-1].Z
    mistakes = {"A^[L] = Z^[L]: the last layer's activation is not applied": no_last}
    A_nb = X
    for layer in net.layers:
        A_nb = layer.g.forward(layer.W @ A_nb)
    mistakes["the biases b^[l] are not added"] = A_nb
    result.comparisons.append(compare("A_L vs nnbook.Network.forward", out, A_ref, rtol=rtol,
                                      atol=atol, mistakes=mistakes,
                                      where=lambda i: f"A_L[{i[0]}, {i[1]}] (unit {i[0]}, "
                                                      f"sample {i[1]})"))
    if cache is not None:
        try:
            cache = list(cache)
            if len(cache) != len(net.layers):
                raise StudentMistake(f"the cache has {len(cache)} entries for "
                                     f"{len(net.layers)} layers (one (A_prev, Z, A) per layer)")
            for l, (entry, layer) in enumerate(zip(cache, net.layers), start=1):
                A_prev, Z, A = entry
                for key, mine, ref in (("A_prev", A_prev, layer.A_prev), ("Z", Z, layer.Z),
                                       ("A", A, layer.A)):
                    result.comparisons.append(compare(f"cache layer {l}: {key}", mine, ref,
                                                      rtol=rtol, atol=atol))
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised("the cache [(A_prev, Z, A), ...]", exc))
    return _finish(result, verbose)


def check_network_backward(backward_fn, sizes=(4, 5, 3, 2),
                           activations=("relu", "tanh", "sigmoid"), *, seed=0, rtol=1e-7,
                           atol=1e-12, own_code=False, verbose=True) -> CheckResult:
    r"""Check your backpropagation through a whole network against :class:`nnbook.Network` and finite differences.

    Your function has the signature of the chapter *Backpropagation*,
    ``backward_fn(params, cache, dZ_L, primes) -> [(dW1, db1), ..., (dWL, dbL)]``, where
    ``params = [(W1, b1), ...]``, ``cache = [(A_prev, Z, A), ...]`` is the forward pass's cache,
    ``dZ_L`` is :math:`\partial J/\partial Z^{[L]}` (already divided by :math:`m`), and
    ``primes[l]`` is the derivative :math:`g^{[l+1]\prime}` (a function of :math:`Z`).  It
    implements

    .. math:: dW^{[l]} = dZ^{[l]} A^{[l-1]\top}, \quad db^{[l]} = dZ^{[l]}\mathbf 1, \quad
              dZ^{[l-1]} = W^{[l]\top} dZ^{[l]} \odot g^{[l-1]\prime}(Z^{[l-1]}).

    The data: a random network with squared error on its output, so ``dZ_L`` is
    :math:`(A^{[L]} - Y) \odot g^{[L]\prime}(Z^{[L]})\,2/m`; the reference gradients are
    :meth:`nnbook.Network.backward`'s, and each is also compared with centred differences of
    the cost.  Changing an argument in place is reported.

    Shapes: ``dW^{[l]}`` ``(n_l, n_{l-1})``, ``db^{[l]}`` ``(n_l, 1)``.  Chapter: *Backpropagation*.

    Parameters
    ----------
    backward_fn : callable
        Your function (see above).
    sizes, activations, seed : see :func:`check_forward`.
    own_code : bool
        Fail when your function calls ``nnbook``'s own implementation, other than the
        derivatives it is given (for graded work).

    Returns
    -------
    CheckResult
    """
    net, X, rng = _small_network(sizes, activations, seed)
    Y = rng.normal(size=(sizes[-1], 7))
    net.loss_and_grad(X, Y)
    refs = [(layer.dW.copy(), layer.db.copy()) for layer in net.layers]
    dZ_L = net.layers[-1].dZ.copy()
    cache = [(layer.A_prev.copy(), layer.Z.copy(), layer.A.copy()) for layer in net.layers]
    params = [(layer.W.copy(), layer.b.copy()) for layer in net.layers]
    primes = [layer.g.prime for layer in net.layers]
    result = CheckResult(f"check_network_backward({' -> '.join(map(str, sizes))})")
    run = _Runner(result, own_code, allowed=primes)
    L = len(params)
    arrays = [a for pair in params for a in pair] + [a for t in cache for a in t] + [dZ_L]
    names = tuple(f"{p}{l}" for l in range(1, L + 1) for p in ("W", "b")) + tuple(
        f"cache[{l}].{k}" for l in range(L) for k in ("A_prev", "Z", "A")) + ("dZ_L",)

    def call(*a):
        ps = [(a[2 * i], a[2 * i + 1]) for i in range(L)]
        cs = [tuple(a[2 * L + 3 * i: 2 * L + 3 * i + 3]) for i in range(L)]
        return backward_fn(ps, cs, a[-1], primes)

    label = "backward_fn(params, cache, dZ_L, primes)"
    try:
        grads = list(run(call, *arrays, names=names, label="backward_fn"))
        if len(grads) != L:
            raise StudentMistake(f"expected one (dW, db) per layer, {L} in all; got {len(grads)}")
        grads = [tuple(g) for g in grads]
        if any(len(g) != 2 for g in grads):
            raise StudentMistake("each entry of the result must be a pair (dW, db)")
        shapes = [tuple(np.shape(a) for a in g) for g in grads]
        wanted = [(r[0].shape, r[1].shape) for r in refs]
        if shapes != wanted and shapes[::-1] == wanted:
            raise StudentMistake("the list is in reverse order: entry 0 must be layer 1's "
                                 "(dW1, db1), the last entry layer L's (fill grads[l] while "
                                 "going backward, or reverse the list at the end)")
    except Exception as exc:  # noqa: BLE001
        result.comparisons.append(_raised(label, exc))
        return _finish(result, verbose)
    # known mistake: the hidden layers' g' left out
    wrong, dZ = [None] * L, dZ_L
    for l in reversed(range(L)):
        wrong[l] = (dZ @ cache[l][0].T, dZ.sum(axis=1, keepdims=True))
        if l:
            dZ = params[l][0].T @ dZ
    missing = "dZ^[l-1] = W^[l]ᵀ dZ^[l] without the factor g'(Z^[l-1])"

    def cost():
        net.forward(X)
        return net.cost(Y)

    for l, ((dW, db), (rW, rb), (wW, wb), layer) in enumerate(
            zip(grads, refs, wrong, net.layers), start=1):
        for key, mine, ref, bad, p in (("dW", dW, rW, wW, layer.W), ("db", db, rb, wb, layer.b)):
            result.comparisons.append(compare(
                f"{key}{l} vs nnbook.Network.backward", mine, ref, rtol=rtol, atol=atol,
                mistakes={missing: bad} if l < L else {},
                hints={float(X.shape[1]): "multiplied by m? dZ_L already has the 1/m",
                       1.0 / X.shape[1]: "divided by m again? dZ_L already has the 1/m"}))
    result.comparisons.append(compare(
        "all gradients vs centred differences of the cost",
        np.concatenate([np.ravel(to_numpy(a)) for g in grads for a in g])
        if all(np.shape(a) == np.shape(r) for g, rg in zip(grads, refs) for a, r in zip(g, rg))
        else np.zeros(0),
        np.concatenate([numerical_gradient(cost, p).ravel() for p in net.parameters()]),
        rtol=1e-5, atol=1e-9))
    return _finish(result, verbose)


# --- optimizers -------------------------------------------------------------------------
def _optimizer_hints(name: str, hyper: dict, t: int) -> dict:
    hints = {}
    beta = hyper.get("beta", 0.9)
    if name in ("momentum", "nesterov", "heavy_ball", "nag"):
        hints[1.0 - beta] = ("the EMA form v = βv + (1−β)g where the sum form v = βv + g "
                             "is expected (form='sum')?")
        hints[1.0 / (1.0 - beta)] = ("the sum form v = βv + g where the EMA form is expected "
                                     "(form='ema')?")
    if name == "adam":
        b1, b2 = hyper.get("beta1", 0.9), hyper.get("beta2", 0.999)
        # without bias correction the step at time t is (1 - b1^t) / sqrt(1 - b2^t) times nnbook's
        hints[(1.0 - b1 ** t) / math.sqrt(1.0 - b2 ** t)] = \
            "bias correction missing? (m̂ = m/(1−β1^t), v̂ = v/(1−β2^t))"
    hints[2.0] = "a factor 2?"
    hints[0.5] = "a factor 1/2?"
    return hints


class _Variants:
    """Steps of common wrong versions of an adaptive method, run alongside the reference."""

    def __init__(self, name: str, hyper: dict, form: str = "sum"):
        self.name, self.h, self.form = name, hyper, form
        self.state: dict = {}

    def step(self, t: int, g) -> dict:
        h, s, out = self.h, self.state, {}
        lr, eps = h.get("lr"), h.get("eps")
        if self.name == "adam":
            b1, b2 = h["beta1"], h["beta2"]
            m = s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
            v = s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
            m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
            out["ε inside the square root: the step is lr·m̂/(√v̂ + ε), not lr·m̂/√(v̂ + ε)"] = \
                -lr * m_hat / np.sqrt(v_hat + eps)
            out["only m is bias-corrected: v̂ = v/(1−β2^t) too"] = -lr * m_hat / (np.sqrt(v) + eps)
            out["only v is bias-corrected: m̂ = m/(1−β1^t) too"] = -lr * m / (np.sqrt(v_hat) + eps)
            for dt, what in ((1, "counted from 2 (t incremented twice, or before the first "
                                  "step?)"), (-1, "counted from 0 (increment t before using it)")):
                if t + dt >= 1:
                    out[f"t is off by one, {what}: t = 1 at the first step; keep t in `state`"] = \
                        -lr * (m / (1 - b1 ** (t + dt))) / (np.sqrt(v / (1 - b2 ** (t + dt))) + eps)
        elif self.name in ("momentum", "heavy_ball") and "beta" in h and self.form == "sum":
            v_old = s.get("v", 0.0)
            s["v"] = h["beta"] * v_old + g
            if t > 1:
                out["θ moved with the old velocity: update v first (v = βv + g), then θ -= lr·v"] = \
                    -lr * v_old
        elif self.name in ("rmsprop", "adagrad"):
            if self.name == "rmsprop":
                v = s["v"] = h["beta"] * s.get("v", 0.0) + (1 - h["beta"]) * g * g
            else:
                v = s["v"] = s.get("v", 0.0) + g * g
            out["ε inside the square root: the step is lr·g/(√v + ε), not lr·g/√(v + ε)"] = \
                -lr * g / np.sqrt(v + eps)
        return out


def _hyperparameters(reference) -> dict:
    """The reference optimizer's hyperparameters, by the names of its constructor's arguments."""
    names = [p for p in inspect.signature(type(reference).__init__).parameters if p != "self"]
    values = {p: getattr(reference, p) for p in names if hasattr(reference, p)}
    # numbers only: options such as form= or bias_correction= choose a variant, they are not
    # values your code must be given
    return {p: v for p, v in values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _accepted(fn, hyper: dict, skip: int) -> dict:
    """The entries of ``hyper`` that ``fn`` takes as keyword arguments (after ``skip`` positionals)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return {}
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return dict(hyper)
    names = {p.name for p in params[skip:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {k: v for k, v in hyper.items() if k in names}


def check_optimizer_step(step_fn, name, *, steps=5, shape=(4, 3), seed=0, rtol=1e-9,
                         atol=1e-15, own_code=False, verbose=True, **hyper) -> CheckResult:
    r"""Check your optimizer against ``nnbook``'s optimizer ``name`` over several steps.

    Your optimizer can take one of two forms:

    - **a class** (or an instance of one) with the package's interface: constructed as
      ``YourClass(**hyperparameters)`` and called as ``opt.step(theta, grad)``, updating
      ``theta`` in place;
    - **a function** ``step_fn(theta, grad, state, **hyperparameters)`` that updates ``theta``
      in place, where ``state`` is a dict, empty at the first call and passed again at every
      later call, in which you keep what your method remembers (velocity, moments, step
      count ``t``).

    The hyperparameters are the reference's **complete** set of numbers (``lr``, ``beta1``,
    ``beta2``, ``eps`` for Adam, with ``nnbook``'s defaults for those you do not give), passed to your
    class or function for each of them that it takes as an argument (by name, or all of them
    through ``**kwargs``), so that both run with the same values whatever your defaults are.
    (Returning the new ``theta`` instead of updating in place is accepted too; changing
    ``grad`` in place is reported.)  Both get the same random starting point and the same
    sequence of random gradients, with magnitudes spread over :math:`10^{-3}` to 1 so that
    :math:`\varepsilon` and bias corrections matter.  The *steps*
    :math:`\theta_t - \theta_{t-1}` are compared, step by step; common mistakes (ε inside the
    square root, a missing bias correction, the other momentum form) are named.

    Shapes: ``theta`` and ``grad`` of ``shape``.  Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    step_fn : class, object with ``step``, or callable
        Your optimizer (see above).
    name : str
        ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``.
    steps : int
        Number of steps compared (default 5).
    shape : tuple
        Shape of the parameter array.
    own_code : bool
        Fail when your optimizer calls ``nnbook``'s own implementation (for graded work).
    **hyper
        Hyperparameters for both optimizers: ``lr=0.1, beta=0.9`` ...

    Returns
    -------
    CheckResult
        One comparison per step.
    """
    reference = get_optimizer(name, **hyper)
    full = _hyperparameters(reference)
    result = CheckResult(f"check_optimizer_step({reference!r})")
    run = _Runner(result, own_code)
    if isinstance(step_fn, type):
        given = _accepted(step_fn.__init__, full, 1)
        try:
            step_fn = step_fn(**given)
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised(f"constructing your optimizer with {given}", exc))
            return _finish(result, verbose)
    if hasattr(step_fn, "step") and not isinstance(step_fn, type):
        # an instance: rebuilt with the test's hyperparameters where its class takes them, so
        # that its own defaults (or the values it was made with) do not decide the comparison
        given = _accepted(type(step_fn).__init__, full, 1)
        if given:
            try:
                step_fn = type(step_fn)(**given)
            except Exception:  # noqa: BLE001 - keep the instance as it was given
                pass
    if hasattr(step_fn, "step"):
        method = step_fn.step

        def step(theta, grad):
            return method(theta, grad)
    elif callable(step_fn):
        state: dict = {}
        given = _accepted(step_fn, full, 3)

        def step(theta, grad):
            return step_fn(theta, grad, state, **given)
    else:
        raise TypeError(f"step_fn must be a class, an object with .step, or a function; "
                        f"got {type(step_fn).__name__}")
    rng = np.random.default_rng(seed)
    theta_ref = rng.normal(size=shape)
    theta_mine = theta_ref.copy()
    variants = _Variants(reference.name, full, getattr(reference, "form", "sum"))
    passed: list = []          # (the gradient array your step got, a copy of its values)
    for t in range(1, steps + 1):
        grad = rng.normal(size=shape) * 10.0 ** rng.uniform(-3.0, 0.0, size=shape)
        before_ref, before_mine = theta_ref.copy(), theta_mine.copy()
        reference.step(theta_ref, grad.copy())
        wrong = variants.step(t, grad)
        label = f"step {t}: your θ_t − θ_(t−1) vs nnbook's"
        holder = {}

        def call(g):
            passed.append((g, g.copy()))
            holder["out"] = step(theta_mine, g)

        try:
            run(call, grad, names=("grad",), label="your step", returns=False)
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised(label, exc))
            break
        returned = holder.get("out")
        if isinstance(returned, np.ndarray) and returned.shape == theta_mine.shape \
                and returned is not theta_mine:
            theta_mine[...] = returned
        cmp = compare(label, theta_mine - before_mine, theta_ref - before_ref, rtol=rtol,
                      atol=atol, where=lambda idx, t=t: f"step {t}, entry {idx}",
                      hints=_optimizer_hints(reference.name, full, t), mistakes=wrong)
        if not cmp.passed and np.array_equal(theta_mine, before_mine) and not cmp.hint:
            cmp.hint = ("theta did not change: update it in place (theta -= ...) or return the "
                        "new theta" + (" (or did θ move before v was updated?)"
                                       if reference.name in ("momentum", "nesterov") else ""))
        result.comparisons.append(cmp)
        changed = [k + 1 for k, (g, values) in enumerate(passed[:-1])
                   if not np.array_equal(g, values)]
        if changed and "earlier grad" not in run.reported:
            run.reported.add("earlier grad")
            result.comparisons.append(Comparison(
                f"step {t}: the gradients of earlier steps are left unchanged", False, math.inf,
                math.inf, hint=f"the gradient array of step {changed[0]} changed during a later "
                               f"step: you kept `grad` itself in `state` (state['v'] = grad) and "
                               f"then changed it in place; keep a copy (grad.copy()) or compute "
                               f"new arrays"))
        if not cmp.passed:
            # later steps start from your θ: compare steps from the same point, not drifts
            theta_ref[...] = theta_mine
    return _finish(result, verbose)


# --- a whole training loop --------------------------------------------------------------
def check_training_loop(train_fn, *, min_accuracy=0.9, seed=0, require_losses=False,
                        max_seconds=None, own_code=False, verbose=True) -> CheckResult:
    r"""Check your training loop: trained on the 8×8 digits, does your network classify held-out digits?

    Your function ``train_fn(X, Y, seed)`` gets the training images ``X`` ``(64, m)``
    (pixels in :math:`[0, 1]`, samples in columns) and one-hot labels ``Y`` ``(10, m)``, and
    returns ``(predict, losses)``: ``predict`` maps images ``(64, k)`` to class scores
    ``(10, k)`` (probabilities or logits; labels ``(k,)`` are accepted too), and ``losses`` is
    the training cost after each epoch (returning ``predict`` alone is accepted unless
    ``require_losses``).  The checker holds out a stratified 25 % of the 1,797 digits (the
    same split for every seed), and checks that

    1. the test accuracy of ``predict`` reaches ``min_accuracy``;
    2. ``losses`` are finite and the last is below the first;
    3. calling ``train_fn`` again with the same ``seed`` gives the same scores and losses, bit
       for bit (a run that cannot be reproduced cannot be graded or debugged), and with
       another seed different ones (the seed must be used);
    4. ``X`` and ``Y`` are not changed in place, and (with ``max_seconds``) one training run
       takes at most that long.

    Shapes: ``X`` ``(64, m)``, ``Y`` ``(10, m)``.  Chapter: *Training a network end to end*.

    Parameters
    ----------
    train_fn : callable
        Your training function (see above).
    min_accuracy : float
        Test accuracy to reach (a softmax regression reaches about 0.95 on this split; an MLP
        about 0.97).
    seed : int
        Passed to ``train_fn`` (and ``seed + 1`` for the check that the seed is used).
    require_losses : bool
        Fail when ``train_fn`` returns no losses.
    max_seconds : float, optional
        Fail (this check only) when one call of ``train_fn`` takes longer.  Measured time is
        machine-dependent: leave a wide margin.
    own_code : bool
        Fail when your training loop calls ``nnbook``'s own implementation (for graded work).

    Returns
    -------
    CheckResult
        ``result.accuracy`` holds the measured test accuracy.
    """
    from .data import load_digits, one_hot, train_test_split

    X_all, y_all = load_digits()
    X, X_test, y, y_test = train_test_split(X_all, y_all, test_size=0.25, seed=12345,
                                            stratify=True)
    Y = one_hot(y, 10)
    result = CheckResult("check_training_loop(digits)")
    result.accuracy = float("nan")
    run = _Runner(result, own_code)

    def train(s):
        start = time.perf_counter()
        out = run(train_fn, X, Y, s, names=("X", "Y"), label="train_fn")
        seconds = time.perf_counter() - start
        losses = None
        if isinstance(out, (tuple, list)):
            if len(out) != 2:
                raise StudentMistake("return (predict, losses)")
            out, losses = out
        if not callable(out):
            raise StudentMistake(f"train_fn must return (predict, losses) with predict a "
                                 f"function of X; got {type(out).__name__}")
        scores = np.asarray(to_numpy(run(out, X_test, names=("X_test",), label="predict")))
        if scores.shape == (10, X_test.shape[1]):
            if not np.all(np.isfinite(scores)):
                raise StudentMistake("predict returns NaN or inf: training diverged (too large "
                                     "a learning rate, or a bug in a gradient or an optimizer "
                                     "step?)")
            labels = scores.argmax(axis=0)
        elif scores.shape == (X_test.shape[1],):
            labels = scores.astype(int)
        else:
            raise StudentMistake(f"predict(X) for X of shape {X_test.shape} must return scores "
                                 f"(10, {X_test.shape[1]}); got shape {scores.shape}")
        if losses is not None:
            losses = np.asarray(to_numpy(losses), dtype=np.float64).ravel()
        return labels, scores, losses, seconds

    try:
        labels, scores, losses, seconds = train(seed)
    except Exception as exc:  # noqa: BLE001
        result.comparisons.append(_raised("train_fn(X, Y, seed)", exc))
        return _finish(result, verbose)
    acc = float(np.mean(labels == y_test))
    result.accuracy = acc
    hint = ""
    if acc < min_accuracy:
        hint = ("close to chance (0.1): is the gradient's sign right, and are the labels "
                "one-hot columns?" if acc < 0.2 else
                "more epochs, a better learning rate, or standardized inputs?")
    result.comparisons.append(Comparison(
        f"test accuracy {acc:.3f} ≥ {min_accuracy}", acc >= min_accuracy, math.inf, math.inf,
        hint=hint))
    if losses is not None:
        ok = losses.size >= 2 and bool(np.all(np.isfinite(losses))) and losses[-1] < losses[0]
        result.comparisons.append(Comparison(
            "training cost finite and falling (last epoch below the first)", ok, math.inf,
            math.inf, hint="" if ok else f"costs {losses[:3]} ... {losses[-3:]}"))
    elif require_losses:
        result.comparisons.append(Comparison(
            "train_fn returns the training cost of each epoch", False, math.inf, math.inf,
            hint="return (predict, losses), losses the training cost after each epoch"))
    if max_seconds is not None:
        result.comparisons.append(Comparison(
            f"one training run takes at most {max_seconds:g} s ({seconds:.1f} s)",
            seconds <= max_seconds, math.inf, math.inf,
            hint="" if seconds <= max_seconds else "too slow: fewer epochs, larger minibatches, "
                                                   "or vectorized code (no Python loop over "
                                                   "samples)?"))
    try:
        labels2, scores2, losses2, _ = train(seed)
        same = bool(np.array_equal(scores, scores2)) and (
            losses is None or (losses2 is not None and np.array_equal(losses, losses2)))
        result.comparisons.append(Comparison(
            "the same seed gives the same run", same, math.inf, math.inf,
            hint="" if same else "draw every random number from np.random.default_rng(seed), "
                                 "and keep no state outside the function (a global counter or "
                                 "optimizer state from an earlier call?)"))
        _, scores3, _, _ = train(seed + 1)
        differs = not np.array_equal(scores, scores3)
        result.comparisons.append(Comparison(
            "another seed gives another run", differs, math.inf, math.inf,
            hint="" if differs else "the seed argument is ignored: start the generator with it, "
                                    "np.random.default_rng(seed)"))
    except Exception as exc:  # noqa: BLE001
        result.comparisons.append(_raised("train_fn(X, Y, seed), second run", exc))
    return _finish(result, verbose)


def selftest() -> bool:
    """Check that the checkers still tell right from wrong; raise ``RuntimeError`` if not.

    The hidden tests of the assignments call it after importing the checkers afresh and after
    running a student's code: a notebook that patched NumPy (``np.all = lambda *a: True``) or
    replaced the checkers makes a known-wrong function pass, and this fails the test.  Returns
    True.
    """
    def relu(z):
        return np.maximum(z, 0.0)

    def sgd(theta, grad, state, lr=0.1):
        theta -= lr * grad

    def sgd_half(theta, grad, state):
        theta -= 0.05 * grad

    def in_place(z):
        z *= 1.0 + (z < 0) * -1.0
        return z

    verdicts = {
        "a right ReLU passes": bool(check_activation(relu, None, "relu", verbose=False)),
        "a wrong ReLU fails": not check_activation(lambda z: z + 1.0, None, "relu",
                                                   verbose=False),
        "an in-place ReLU fails": not check_activation(in_place, None, "relu", verbose=False),
        "a wrong cost fails": not check_loss(lambda A, Y: 0.0, None, "mse", verbose=False),
        "a right SGD step passes": bool(check_optimizer_step(sgd, "sgd", lr=0.1,
                                                             verbose=False)),
        "a wrong SGD step fails": not check_optimizer_step(sgd_half, "sgd", lr=0.1,
                                                           verbose=False),
        "NumPy compares": bool(np.all(np.array([1.0, 2.0]) == np.array([1.0, 3.0]))) is False
                          and not np.array_equal(np.zeros(2), np.ones(2)),
    }
    broken = [name for name, ok in verdicts.items() if not ok]
    if broken:
        raise RuntimeError("the grading environment was changed (" + "; ".join(broken) +
                           "): nothing in this notebook may patch NumPy or nnbook")
    return True
