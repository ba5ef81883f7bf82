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

The book uses these in the exercises of the chapters *Activation functions*, *Loss
functions*, *Backpropagation* and *Gradient descent and its variants*.
"""
from __future__ import annotations

import math
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
    "CheckResult", "Comparison", "compare",
    "check_activation", "check_loss", "check_layer_backward", "check_optimizer_step",
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


def _raised(label: str, exc: BaseException) -> Comparison:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return Comparison(label, False, math.inf, math.inf, hint=f"your code raised {last}")


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
    for value, text in hints.items():
        if math.isclose(c0, value, rel_tol=1e-3):
            return f"yours is {c0:.4g} × the reference {how}: {text}"
    if math.isclose(c0, -1.0, rel_tol=1e-3):
        return f"yours is −1 × the reference {how}: a wrong sign?"
    return f"yours is {c0:.4g} × the reference {how}: a missing or extra constant factor?"


def _index(flat: int, shape) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def compare(label: str, mine, ref, *, rtol: float = 1e-6, atol: float = 1e-9,
            where: Callable | None = None, hints: dict | None = None) -> Comparison:
    r"""Compare your array ``mine`` with ``ref`` entry by entry.

    Passes when every entry has :math:`|m - r| \le \text{atol} + \text{rtol}\,|r|`.  Reports
    the largest absolute error :math:`|m - r|` and relative error
    :math:`|m - r| / \max(|m|, |r|)` with their positions (``where(index)`` describes a
    position; default: the index), and a hint for shape mismatches, transposes, NaNs and
    constant factors (``hints`` maps a factor to an explanation).

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


def _call(fn, *args):
    """Call a student's function on private copies of the arrays (so it cannot change ours)."""
    return fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])


# --- activations ------------------------------------------------------------------------
def check_activation(f, df=None, name=None, z=None, *, rtol=1e-6, atol=1e-8, h=1e-5,
                     alpha=0.01, verbose=True) -> CheckResult:
    r"""Check your activation ``f`` and its derivative ``df`` against ``nnbook``'s, and ``df`` against finite differences of your ``f``.

    Three comparisons on a grid of points :math:`z` (default 400 points in :math:`[-4, 4]`,
    leaving out the kinks of ReLU, step, ...):

    1. ``f(z)`` against ``nnbook.activations.<name>`` (skipped when ``name`` is ``None``);
    2. ``df(z)`` against ``nnbook.activations.<name>_prime`` (skipped when ``name`` or ``df``
       is ``None``);
    3. ``df(z)`` against the centred difference of *your* ``f``:

       .. math:: f'(z) \approx \frac{f(z+h) - f(z-h)}{2h}

    For ``name="softmax"``, ``f`` maps a matrix ``(n, m)`` to one of the same shape (columns
    are samples), and ``df`` (optional) maps one sample ``z`` of shape ``(n,)`` to the Jacobian
    :math:`\partial s_k/\partial z_j`, shape ``(n, n)``.

    Shapes: ``z`` any shape (elementwise); ``(n, m)`` for softmax.
    Chapter: *Activation functions*.

    Parameters
    ----------
    f, df : callable
        Your activation and its derivative, elementwise on arrays.  ``df`` may be ``None``.
    name : str, optional
        The ``nnbook`` activation to compare with (``"sigmoid"``, ``"relu"``, ...).
    z : array, optional
        Points to test at (default: the grid above, shape ``(1, 400)``).
    rtol, atol : float
        Tolerances (see the module docstring).
    h : float
        Step of the centred difference.
    alpha : float
        Slope of ``"leaky_relu"`` for the reference.
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
    if ref is not None and ref.name == "softmax":
        return _finish(_check_softmax(f, df, result, rtol, atol, h), verbose)
    if z is None:
        z = np.linspace(-4.0, 4.0, 400)
        for k in _KINKS.get(ref.name if ref is not None else "", ()):
            z = z[np.abs(z - k) > 100 * h]
        z = z.reshape(1, -1)
    z = np.asarray(z, dtype=np.float64)

    def where(idx):
        return f"z={z[idx]:.6g}"

    mine = None
    if ref is not None:
        try:
            mine = _call(f, z)
            result.comparisons.append(compare(f"f  vs nnbook {ref.name}", mine, ref.forward(z),
                                              rtol=rtol, atol=atol, where=where))
        except Exception as exc:  # noqa: BLE001 - report any error in the student's code
            result.comparisons.append(_raised(f"f  vs nnbook {ref.name}", exc))
    if df is not None:
        try:
            dmine = _call(df, z)
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised("f' (your df)", exc))
            return _finish(result, verbose)
        if ref is not None:
            result.comparisons.append(compare(f"f' vs nnbook {ref.name}_prime", dmine,
                                              ref.prime(z), rtol=rtol, atol=atol, where=where,
                                              hints={2.0: "a factor 2?", 0.5: "a factor 1/2?"}))
        try:
            numeric = (np.asarray(_call(f, z + h), dtype=np.float64)
                       - np.asarray(_call(f, z - h), dtype=np.float64)) / (2 * h)
            result.comparisons.append(compare("f' vs centred difference of your f", dmine,
                                              numeric, rtol=rtol, atol=max(atol, 1e-7),
                                              where=where))
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised("f' vs centred difference of your f", exc))
    if not result.comparisons:
        raise ValueError("check_activation: give a name to compare f with, or a derivative df")
    return _finish(result, verbose)


def _check_softmax(f, df, result, rtol, atol, h):
    rng = np.random.default_rng(0)
    Z = rng.normal(0.0, 2.0, size=(5, 8))
    try:
        mine = _call(f, Z)
        result.comparisons.append(compare(
            "f  vs nnbook softmax", mine, softmax(Z), rtol=rtol, atol=atol,
            where=lambda idx: f"class {idx[0]} of sample {idx[1]}"))
    except Exception as exc:  # noqa: BLE001
        result.comparisons.append(_raised("f  vs nnbook softmax", exc))
    if df is not None:
        z = Z[:, 0].copy()
        label = "df(z) vs nnbook softmax_jacobian"
        try:
            jac = _call(df, z)
            result.comparisons.append(compare(
                label, jac, softmax_jacobian(z), rtol=rtol, atol=atol,
                where=lambda idx: f"entry d s_{idx[0]} / d z_{idx[1]}"))
            numeric = np.empty((z.size, z.size))
            for j in range(z.size):
                e = np.zeros_like(z)
                e[j] = h
                fp = np.asarray(_call(f, (z + e).reshape(-1, 1)), dtype=np.float64).ravel()
                fm = np.asarray(_call(f, (z - e).reshape(-1, 1)), dtype=np.float64).ravel()
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


def check_loss(value, grad, name, *, n_out=3, m=6, seed=0, rtol=1e-6, atol=1e-9, h=1e-6,
               verbose=True, **loss_kwargs) -> CheckResult:
    r"""Check your cost ``value(Y_hat, Y)`` and gradient ``grad(Y_hat, Y)`` against ``nnbook``'s loss ``name``.

    Your functions follow the package's convention: ``Y_hat`` and ``Y`` are ``(n_L, m)``
    (samples in columns), the cost is the **mean** over the :math:`m` samples of the
    per-sample loss, and the gradient is :math:`\partial J/\partial \hat Y`, **already
    divided by m**.  Three comparisons on random data suited to the loss (probabilities and
    0/1 labels for binary cross-entropy, one-hot columns for categorical cross-entropy,
    logits for the ``*_with_logits`` / ``softmax_cross_entropy`` losses):

    1. ``value`` against ``nnbook.losses.<name>``;
    2. ``grad`` against ``nnbook.losses.<name>_grad``;
    3. ``grad`` against centred differences of *your* ``value``:
       :math:`\partial J/\partial \hat y_{ki} \approx (J(\hat y_{ki}+h) - J(\hat y_{ki}-h))/2h`.

    Shapes: ``Y_hat``, ``Y`` and the gradient are ``(n_out, m)``.  Chapter: *Loss functions*.

    Parameters
    ----------
    value, grad : callable
        Your cost (returns a number) and gradient (returns an ``(n_L, m)`` array); ``grad``
        may be ``None``.
    name : str
        ``"mse"``, ``"mae"``, ``"huber"``, ``"bce"``, ``"cce"``, ``"softmax_cross_entropy"``, ...
    n_out, m : int
        Size of the random test data.
    seed : int
        Seed of the random test data.
    **loss_kwargs
        Passed to the reference loss, e.g. ``half=True`` for MSE with the ½, ``delta=`` for Huber.

    Returns
    -------
    CheckResult
    """
    loss = get_loss(name, **loss_kwargs)
    result = CheckResult(f"check_loss({loss.name!r})")
    Y_hat, Y = _loss_data(loss.name, n_out, m, np.random.default_rng(seed))
    hints = {float(m): f"divide the gradient by m = {m} (the cost is a mean over the samples)",
             1.0 / m: f"divided by m = {m} twice?",
             2.0: "a factor 2 (the ½ convention of MSE? pass half=True to compare with ½·MSE)",
             0.5: "a factor 1/2 (the ½ convention of MSE? half=True/False)"}
    value_hints = {float(m): f"average over the m = {m} samples (you summed)",
                   1.0 / m: f"divided by m = {m} twice?", **{k: v for k, v in hints.items()
                                                             if k in (2.0, 0.5)}}

    def where(idx):
        return f"Y_hat[{idx[0]}, {idx[1]}] (unit {idx[0]}, sample {idx[1]})"

    try:
        mine = _scalar(_call(value, Y_hat, Y))
        result.comparisons.append(compare(f"value vs nnbook {loss.name}", mine,
                                          loss.value(Y_hat, Y), rtol=rtol, atol=atol,
                                          where=lambda idx: "the cost", hints=value_hints))
    except Exception as exc:  # noqa: BLE001
        result.comparisons.append(_raised(f"value vs nnbook {loss.name}", exc))
        mine = None
    if grad is not None:
        try:
            g = _call(grad, Y_hat, Y)
            result.comparisons.append(compare(f"grad vs nnbook {loss.name}_grad", g,
                                              loss.grad(Y_hat, Y), rtol=rtol, atol=atol,
                                              where=where, hints=hints))
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised(f"grad vs nnbook {loss.name}_grad", exc))
            return _finish(result, verbose)
        if mine is not None:
            try:
                P = Y_hat.copy()  # perturbed in place, one entry at a time
                numeric = numerical_gradient(lambda: _scalar(_call(value, P, Y)), P, h)
                result.comparisons.append(compare("grad vs centred differences of your value",
                                                  g, numeric, rtol=max(rtol, 1e-5),
                                                  atol=max(atol, 1e-8), where=where,
                                                  hints=hints))
            except Exception as exc:  # noqa: BLE001
                result.comparisons.append(_raised("grad vs centred differences of your value", exc))
    return _finish(result, verbose)


# --- a layer's backward pass ------------------------------------------------------------
def check_layer_backward(backward_fn, activation="sigmoid", *, n_in=4, n_out=3, m=5, seed=0,
                         rtol=1e-7, atol=1e-12, verbose=True) -> CheckResult:
    r"""Check your backward pass of a dense layer against :class:`nnbook.Dense`.

    Your function has the signature ``backward_fn(dA, Z, A_prev, W, g_prime) -> (dA_prev, dW, db)``
    and implements the book's four equations:

    .. math:: dZ = dA \odot g'(Z), \quad dW = dZ\, A_{\text{prev}}^\top, \quad
              db = \sum_{i=1}^{m} dZ_{:,i}, \quad dA_{\text{prev}} = W^\top dZ

    where ``g_prime`` is the derivative of the activation (a function of ``Z``), and ``dA``
    already contains the :math:`1/m` of the cost, so nothing is divided by :math:`m` again.
    The data are random: ``A_prev`` ``(n_in, m)``, the layer's own weights ``W``
    ``(n_out, n_in)`` and ``Z = W A_prev + b``, and a random ``dA`` of order :math:`1/m`.

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
    try:
        out = _call(backward_fn, dA, layer.Z, A_prev, layer.W, layer.g.prime)
        out = tuple(out)
        if len(out) != 3:
            raise ValueError(f"expected 3 results (dA_prev, dW, db), got {len(out)}")
    except Exception as exc:  # noqa: BLE001
        result.comparisons.append(_raised("backward_fn(dA, Z, A_prev, W, g_prime)", exc))
        return _finish(result, verbose)
    hints = {float(m): f"multiplied by m = {m}?",
             1.0 / m: f"divided by m = {m} again? dA already has the 1/m"}
    places = {"dA_prev": lambda i: f"dA_prev[{i[0]}, {i[1]}] (input {i[0]}, sample {i[1]})",
              "dW": lambda i: f"dW[{i[0]}, {i[1]}] (unit {i[0]}, input {i[1]})",
              "db": lambda i: f"db[{i[0]}] (unit {i[0]})"}
    for (key, ref), mine in zip(refs.items(), out):
        result.comparisons.append(compare(f"{key} vs nnbook.Dense", mine, ref, rtol=rtol,
                                          atol=atol, where=places[key], hints=hints))
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


def check_optimizer_step(step_fn, name, *, steps=5, shape=(4, 3), seed=0, rtol=1e-9,
                         atol=1e-15, verbose=True, **hyper) -> CheckResult:
    r"""Check your optimizer against ``nnbook``'s optimizer ``name`` over several steps.

    Your optimizer can take one of two forms:

    - **a class** (or an instance of one) with the package's interface: constructed as
      ``YourClass(**hyper)`` and called as ``opt.step(theta, grad)``, updating ``theta`` in place;
    - **a function** ``step_fn(theta, grad, state)`` that updates ``theta`` in place, where
      ``state`` is a dict, empty at the first call and passed again at every later call, in
      which you keep what your method remembers (velocity, moments, step count ``t``).

    (Returning the new ``theta`` instead of updating in place is accepted too.)  Both get the
    same random starting point and the same sequence of random gradients, with magnitudes
    spread over :math:`10^{-3}` to 1 so that :math:`\varepsilon` and bias corrections matter.
    The *steps* :math:`\theta_t - \theta_{t-1}` are compared, step by step.

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
    **hyper
        Hyperparameters for both optimizers: ``lr=0.1, beta=0.9`` ...

    Returns
    -------
    CheckResult
        One comparison per step.
    """
    reference = get_optimizer(name, **hyper)
    result = CheckResult(f"check_optimizer_step({reference!r})")
    if isinstance(step_fn, type):
        try:
            step_fn = step_fn(**hyper)
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised(f"constructing your optimizer with {hyper}", exc))
            return _finish(result, verbose)
    if hasattr(step_fn, "step"):
        step = step_fn.step
    elif callable(step_fn):
        state: dict = {}

        def step(theta, grad):
            return step_fn(theta, grad, state)
    else:
        raise TypeError(f"step_fn must be a class, an object with .step, or a function; "
                        f"got {type(step_fn).__name__}")
    rng = np.random.default_rng(seed)
    theta_ref = rng.normal(size=shape)
    theta_mine = theta_ref.copy()
    for t in range(1, steps + 1):
        grad = rng.normal(size=shape) * 10.0 ** rng.uniform(-3.0, 0.0, size=shape)
        before_ref, before_mine = theta_ref.copy(), theta_mine.copy()
        reference.step(theta_ref, grad.copy())
        label = f"step {t}: your θ_t − θ_(t−1) vs nnbook's"
        try:
            returned = step(theta_mine, grad.copy())
        except Exception as exc:  # noqa: BLE001
            result.comparisons.append(_raised(label, exc))
            break
        if isinstance(returned, np.ndarray) and returned.shape == theta_mine.shape \
                and returned is not theta_mine:
            theta_mine[...] = returned
        cmp = compare(label, theta_mine - before_mine, theta_ref - before_ref, rtol=rtol,
                      atol=atol, where=lambda idx, t=t: f"step {t}, entry {idx}",
                      hints=_optimizer_hints(reference.name, hyper, t))
        if not cmp.passed and np.array_equal(theta_mine, before_mine):
            cmp.hint = (cmp.hint + "; " if cmp.hint else "") + \
                "theta did not change: update it in place (theta -= ...) or return the new theta"
        result.comparisons.append(cmp)
    return _finish(result, verbose)
