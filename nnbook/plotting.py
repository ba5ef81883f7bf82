r"""Figures for the book: activations, decision boundaries, learning curves, optimizer paths.

Every function here converts its array inputs to NumPy first (:func:`nnbook.backend.to_numpy`),
so CuPy arrays and networks on the GPU plot the same way, draws on the ``ax`` it is given (or
on a new figure), and returns what it drew on (an ``Axes``, a ``Figure``) or the animation.

Matplotlib is imported only when a function is called, so ``import nnbook`` works without it;
install it with ``pip install 'nnbook[plot]'``.

Used in the chapters *The perceptron*, *Activation functions*, *Training a network end to end*,
*Gradient descent and its variants* and *Training diagnostics*.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from .activations import ACTIVATION_NAMES, Activation, get_activation
from .backend import to_numpy

__all__ = [
    "BOOK_STYLE", "COLORS", "MAX_WIDTH", "use_book_style",
    "plot_activation", "plot_activations",
    "plot_decision_boundary",
    "plot_history",
    "plot_contours", "plot_trajectories", "animate_trajectories", "to_gif", "to_html",
    "plot_weight_histograms", "plot_gradient_norms",
]


def _pyplot():
    """``matplotlib.pyplot``, imported on first use, with an install hint if it is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
        raise ImportError(
            "nnbook.plotting needs matplotlib, which is not installed: "
            "pip install 'nnbook[plot]'"
        ) from exc
    return plt


# --- the book's figure style -------------------------------------------------------------
#: The Okabe-Ito palette (Okabe & Ito 2008), distinguishable with every common form of colour
#: blindness; the book pairs each colour with its own line style, so no two curves differ by
#: colour alone.
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
_LINESTYLES = ("-", "--", "-.", ":", "-", "--", "-.", ":")
#: Markers paired with the colours and line styles for paths (the k-th path of a plot gets
#: COLORS[k], its line style and this marker), so two paths never differ by colour alone.
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _path_style(k: int) -> dict:
    """Colour, line style and marker of the k-th path of a trajectory plot or animation."""
    return {"color": COLORS[k % len(COLORS)],
            "linestyle": (_LINESTYLES[k % len(_LINESTYLES)] if k < len(_LINESTYLES)
                          else (0, (3, 1, 1, 1, 1, 1))),
            "marker": _MARKERS[k % len(_MARKERS)]}

#: Matplotlib settings of every figure in the book: a full-width figure is 7.2 in x 100 dpi
#: = 720 px, the page's column width (about 740 px), so it is shown at 100 % and its 10-11 pt
#: text stays 10-11 px high; a figure is never drawn wider than that and shrunk.
BOOK_STYLE = {
    "figure.figsize": (6.4, 3.8),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "image.cmap": "viridis",
}

#: The widest figure, in inches, that is shown at 100 % in the page's column.
MAX_WIDTH = 7.2


def use_book_style() -> None:
    """Apply the book's figure style (:data:`BOOK_STYLE`, Okabe-Ito colours with line styles).

    Every chapter calls it once, in its first code cell, so all figures share one size,
    font size and palette.  Figures wider than :data:`MAX_WIDTH` inches would be shrunk below
    a readable text size on the page: draw fewer panels per row instead.
    """
    plt = _pyplot()
    from cycler import cycler

    plt.rcParams.update(BOOK_STYLE)
    plt.rcParams["axes.prop_cycle"] = cycler(color=list(COLORS)) + cycler(linestyle=list(_LINESTYLES))


def _axes(ax, figsize=(5, 3.5)):
    """The given Axes, or the Axes of a new figure."""
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=figsize)
    return ax


# --- activations ------------------------------------------------------------------------
def _numerical_derivative(f: Callable, z: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Centred difference :math:`(f(z+\\varepsilon) - f(z-\\varepsilon)) / 2\\varepsilon`."""
    return (to_numpy(f(z + eps)) - to_numpy(f(z - eps))) / (2 * eps)


def plot_activation(name_or_fn, z=None, ax=None, derivative: bool = True, **kwargs):
    r"""Plot an activation :math:`g(z)` and, dashed, its derivative :math:`g'(z)`.

    Parameters
    ----------
    name_or_fn : str, Activation or callable
        ``"relu"``, ``"sigmoid"``, ... (see :func:`nnbook.activations.get_activation`), an
        :class:`~nnbook.activations.Activation`, or any elementwise function of an array, whose
        derivative is then taken by centred differences.
    z : array, optional
        Points to plot at (default 1001 points on :math:`[-5, 5]`).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    derivative : bool
        Also draw :math:`g'(z)`.
    **kwargs
        Passed to :func:`~nnbook.activations.get_activation` (``alpha``, ``at_zero``).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` holds :math:`(z, g(z))`, ``ax.lines[1]`` :math:`(z, g'(z))`.

    Shapes: ``z`` ``(k,)``.  Chapter: *Activation functions*.
    """
    if isinstance(name_or_fn, (str, Activation)):
        g = get_activation(name_or_fn, **kwargs)
        if g.prime is None:
            raise ValueError(
                f"{g.name} is not elementwise (it acts on columns): plot it with a custom "
                "function, e.g. lambda z: nb.softmax(np.stack([z, 0 * z]))[0]"
            )
        f, fprime, label = g.forward, g.prime, g.name
    elif callable(name_or_fn):
        f, fprime = name_or_fn, None
        label = getattr(name_or_fn, "__name__", "g")
    else:
        raise TypeError(
            f"name_or_fn must be an activation name, an Activation or a callable, "
            f"got {type(name_or_fn).__name__}"
        )
    z = np.linspace(-5.0, 5.0, 1001) if z is None else to_numpy(z).astype(float).ravel()
    ax = _axes(ax)
    ax.plot(z, to_numpy(f(z)), label=f"{label}(z)")
    if derivative:
        dz = to_numpy(fprime(z)) if fprime is not None else _numerical_derivative(f, z)
        ax.plot(z, dz * np.ones_like(z), "--", label=f"{label}'(z)")
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)
    ax.set_xlabel("z")
    ax.set_title(label)
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_activations(names: Sequence = None, z=None, ncols: int = 4, derivative: bool = True,
                     figsize=None):
    """A grid of :func:`plot_activation` panels, one per name (default: every elementwise one).

    Returns
    -------
    matplotlib.figure.Figure
        Unused panels of the grid are hidden.

    Chapter: *Activation functions*.
    """
    if names is None:
        names = [n for n in ACTIVATION_NAMES if n != "softmax"]
    names = list(names)
    if not names:
        raise ValueError("names is empty: give at least one activation")
    ncols = max(1, min(ncols, len(names)))
    nrows = -(-len(names) // ncols)
    plt = _pyplot()
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize or (3.2 * ncols, 2.6 * nrows),
                             squeeze=False, constrained_layout=True)
    for ax, name in zip(axes.flat, names):
        plot_activation(name, z=z, ax=ax, derivative=derivative)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    return fig


# --- decision boundaries ----------------------------------------------------------------
def _labels(y, m: int) -> np.ndarray:
    """Class indices ``(m,)`` from labels ``(m,)``/``(1, m)`` or one-hot targets ``(K, m)``."""
    y = to_numpy(y)
    if y.ndim == 2 and y.shape[0] > 1 and y.shape[1] == m:
        return y.argmax(axis=0)
    y = y.ravel()
    if y.size != m:
        raise ValueError(f"y must have one label per sample (m={m}), got shape {y.shape}")
    return y


def _scores(predict_or_net, P: np.ndarray):
    """Scores of the model at the points ``P`` ``(2, k)``, as a NumPy array, and the output name."""
    from .network import Network

    if isinstance(predict_or_net, Network):
        net = predict_or_net
        from .backend import to_device
        out = net.forward(to_device(P, net.device, net.dtype))
        return to_numpy(out), net.layers[-1].g.name
    if callable(predict_or_net):
        return to_numpy(predict_or_net(P)), None
    raise TypeError(
        f"predict_or_net must be a Network or a callable (2, k) -> scores, "
        f"got {type(predict_or_net).__name__}"
    )


def plot_decision_boundary(predict_or_net, X, y=None, ax=None, resolution: int = 200,
                           padding: float = 0.1, threshold: float | None = None,
                           proba: bool = True, cmap=None, scatter: bool = True):
    r"""Colour the plane by a classifier's decision and overlay the samples.

    The model is evaluated on a ``resolution`` × ``resolution`` grid of points spanning the
    data (plus ``padding`` of the range on each side), drawn with ``imshow`` so that pixel
    centres are the grid points.

    * One output unit (sigmoid, or any callable returning ``(1, k)`` or ``(k,)``): with
      ``proba=True`` the image is the score (a probability for a sigmoid output), and the
      boundary :math:`\hat y = t` is drawn as a black line; otherwise the image is the class
      :math:`[\hat y \ge t]`.  The threshold :math:`t` defaults to 0.5 for scores in
      :math:`[0, 1]` and 0 otherwise (a linear or tanh output).
    * Several output units (softmax): the image is the predicted class
      :math:`\arg\max_k \hat y_k` and region borders are drawn.
    * Integer outputs ``(k,)`` from a callable are taken as the predicted classes.

    Parameters
    ----------
    predict_or_net : Network or callable
        A :class:`~nnbook.Network` or a function mapping points ``(2, k)`` to scores.
    X : array ``(2, m)``
        Samples in columns.
    y : array, optional
        Labels ``(m,)``/``(1, m)`` or one-hot ``(K, m)``, used to colour the samples.
    ax : matplotlib Axes, optional
    resolution : int
        Grid points per axis.
    padding : float
        Margin around the data, as a fraction of its range.
    threshold : float, optional
        Decision threshold of a one-unit output (see above).
    proba : bool
        For one output unit, show the score rather than the hard class.
    cmap : colormap, optional
    scatter : bool
        Draw the samples.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.images[0]`` holds the grid values (row ``i`` is :math:`x_2` = ``ylim[0] + i·dy``).

    Shapes: ``X`` ``(2, m)``; the model maps ``(2, k)`` → ``(n_L, k)``.
    Chapters: *The perceptron*, *Training a network end to end*.
    """
    X = to_numpy(X).astype(float)
    if X.ndim != 2 or X.shape[0] != 2:
        hint = ": are samples in columns? pass X.T" if X.ndim == 2 and X.shape[1] == 2 else ""
        raise ValueError(f"X must have shape (2, m) for a plane plot, got {X.shape}{hint}")
    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"resolution must be >= 2, got {resolution}")
    lo, hi = X.min(axis=1), X.max(axis=1)
    pad = padding * np.where(hi > lo, hi - lo, 1.0)
    x1 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    x2 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    G1, G2 = np.meshgrid(x1, x2)                      # G[i, j] = (x1[j], x2[i])
    P = np.stack([G1.ravel(), G2.ravel()])            # (2, k), samples in columns
    S, out_name = _scores(predict_or_net, P)
    two_colour = False                                # samples coloured like a score map

    plt = _pyplot()
    ax = _axes(ax, figsize=(5, 4))
    extent = (x1[0] - (x1[1] - x1[0]) / 2, x1[-1] + (x1[1] - x1[0]) / 2,
              x2[0] - (x2[1] - x2[0]) / 2, x2[-1] + (x2[1] - x2[0]) / 2)
    show = dict(origin="lower", extent=extent, aspect="auto", interpolation="nearest")
    if S.ndim == 2 and S.shape[0] > 1:                # several units: argmax regions
        if S.shape[1] != P.shape[1]:
            raise ValueError(f"the model returned shape {S.shape} for {P.shape[1]} points")
        K = S.shape[0]
        C = S.argmax(axis=0).reshape(G1.shape)
        ax.imshow(C, cmap=cmap or plt.get_cmap("tab10", 10), vmin=-0.5, vmax=9.5, alpha=0.35,
                  **show)
        ax.contour(G1, G2, C, levels=np.arange(K - 1) + 0.5, colors="k", linewidths=0.8)
    else:
        S = S.ravel()
        if S.size != P.shape[1]:
            raise ValueError(f"the model returned {S.size} scores for {P.shape[1]} points")
        if S.dtype.kind in "iub":                      # already class labels
            C = S.astype(int).reshape(G1.shape)
            ax.imshow(C, cmap=cmap or plt.get_cmap("tab10", 10), vmin=-0.5, vmax=9.5,
                      alpha=0.35, **show)
            if C.min() != C.max():
                ax.contour(G1, G2, C, levels=np.arange(C.min(), C.max()) + 0.5, colors="k",
                           linewidths=0.8)
        else:
            if threshold is None:
                in_unit = out_name == "sigmoid" or (S.min() >= 0.0 and S.max() <= 1.0)
                threshold = 0.5 if in_unit else 0.0
            S = S.reshape(G1.shape)
            if proba:
                lim = max(abs(S.max() - threshold), abs(S.min() - threshold)) or 1.0
                vmin, vmax = (0.0, 1.0) if out_name == "sigmoid" else (threshold - lim,
                                                                       threshold + lim)
                ax.imshow(S, cmap=cmap or "RdBu_r", vmin=vmin, vmax=vmax, alpha=0.5, **show)
                two_colour = True
            else:
                ax.imshow((S >= threshold).astype(int), cmap=cmap or plt.get_cmap("tab10", 10),
                          vmin=-0.5, vmax=9.5, alpha=0.35, **show)
            if S.min() < threshold < S.max():
                ax.contour(G1, G2, S, levels=[threshold], colors="k", linewidths=1.2)
    if scatter:
        if y is None:
            ax.scatter(X[0], X[1], s=12, c="k")
        else:
            labels = _labels(y, X.shape[1])
            if two_colour:   # low label at the low end of the score colormap, others high
                c = np.where(labels > labels.min(), 0.9, 0.1)
                ax.scatter(X[0], X[1], s=14, c=c, cmap=cmap or "RdBu_r", vmin=0, vmax=1,
                           edgecolors="k", linewidths=0.5)
            else:
                ax.scatter(X[0], X[1], s=14, c=labels, cmap=cmap or "tab10", vmin=-0.5,
                           vmax=9.5, edgecolors="k", linewidths=0.5)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


# --- learning curves --------------------------------------------------------------------
def _history_dict(history) -> Mapping:
    h = getattr(history, "history", history)
    if not isinstance(h, Mapping):
        raise TypeError(
            f"history must be a History (with a .history dict) or a dict of lists, "
            f"got {type(history).__name__}"
        )
    return h


def plot_history(history, metrics: Sequence[str] = ("loss", "accuracy"), ax=None,
                 logy: bool = False):
    r"""Learning curves: one panel per metric, training and (dashed) validation against epoch.

    Parameters
    ----------
    history : History or dict
        A :class:`nnbook.training.History` (its ``.history``) or a plain dict of lists with
        keys such as ``"loss"``, ``"val_loss"``, ``"accuracy"``, ``"val_accuracy"``, ``"lr"``.
    metrics : sequence of str
        Metrics to draw; ``"val_" + metric`` is added to the same panel when present.
        Metrics missing from the history are skipped.
    ax : Axes or sequence of Axes, optional
        One Axes per drawn metric (default: a new figure).
    logy : bool
        Logarithmic y axis (useful for the loss).

    Returns
    -------
    matplotlib.figure.Figure

    Chapter: *Training a network end to end*.
    """
    h = _history_dict(history)
    if isinstance(metrics, str):
        metrics = (metrics,)
    present = [k for k in metrics if k in h and len(h[k]) > 0]
    if not present:
        raise ValueError(
            f"none of the metrics {tuple(metrics)} is in the history; it has {sorted(h)}"
        )
    if ax is None:
        plt = _pyplot()
        fig, axes = plt.subplots(1, len(present), figsize=(4.2 * len(present), 3.2),
                                 squeeze=False, constrained_layout=True)
        axes = list(axes.flat)
    else:
        axes = [ax] if not isinstance(ax, (list, tuple, np.ndarray)) else list(np.ravel(ax))
        if len(axes) < len(present):
            raise ValueError(f"need {len(present)} Axes for metrics {present}, got {len(axes)}")
        fig = axes[0].figure
    for a, key in zip(axes, present):
        values = np.asarray([float(to_numpy(v)) for v in h[key]])
        a.plot(np.arange(1, len(values) + 1), values, label=key)
        val = "val_" + key
        if val in h and len(h[val]) > 0:
            vv = np.asarray([float(to_numpy(v)) for v in h[val]])
            a.plot(np.arange(1, len(vv) + 1), vv, "--", label=val)
        a.set_xlabel("epoch")
        a.set_title(key)
        if logy:
            a.set_yscale("log")
        a.legend(fontsize="small")
    return fig


# --- 2-D test functions and optimizer paths ---------------------------------------------
def _evaluate_on_grid(f, X1, X2) -> np.ndarray:
    """``f`` on a meshgrid: ``f.value(x, y)``, ``f(x, y)``, or ``f`` of points ``(2, ...)``."""
    fn = getattr(f, "value", f)
    if not callable(fn):
        raise TypeError(f"f must be callable f(x, y), got {type(f).__name__}")
    try:
        Z = fn(X1, X2)
    except TypeError:
        Z = fn(np.stack([X1, X2]))
    Z = np.asarray(to_numpy(Z), dtype=float)
    if Z.shape != X1.shape:
        raise ValueError(
            f"f(x, y) must be vectorized over grids: for inputs of shape {X1.shape} it "
            f"returned shape {Z.shape}"
        )
    return Z


def _limits(f, trajectories, xlim, ylim, pad=0.15):
    """Plot limits: given ones, else ``f.xlim``/``f.ylim``, else the paths' box plus a margin."""
    if xlim is None:
        xlim = getattr(f, "xlim", None)
    if ylim is None:
        ylim = getattr(f, "ylim", None)
    if (xlim is None or ylim is None) and trajectories:
        pts = np.concatenate([_path(t) for t in trajectories.values()])
        pts = pts[np.isfinite(pts).all(axis=1)]       # a diverged run ends in NaN rows
        if len(pts) == 0:
            raise ValueError("the trajectories hold no finite point: give xlim and ylim")
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        lo, hi = lo - pad * span, hi + pad * span
        xlim = xlim if xlim is not None else (lo[0], hi[0])
        ylim = ylim if ylim is not None else (lo[1], hi[1])
    if xlim is None or ylim is None:
        raise ValueError("give xlim and ylim (f has no .xlim/.ylim and there are no trajectories)")
    return tuple(map(float, xlim)), tuple(map(float, ylim))


def _path(traj) -> np.ndarray:
    P = np.asarray(to_numpy(traj), dtype=float)
    if P.ndim != 2 or P.shape[1] != 2:
        if P.ndim == 2 and P.shape[0] == 2:
            P = P.T                                       # (2, T) given: points in columns
        else:
            raise ValueError(f"a trajectory must have shape (T, 2), got {P.shape}")
    return P


def plot_contours(f, xlim=None, ylim=None, ax=None, levels=30, resolution: int = 200,
                  log: bool = False, filled: bool = True, lines: bool = True, minimum=None,
                  cmap="viridis", antialiased: bool = True):
    r"""Contour plot of a function of two variables :math:`f(x, y)` (a loss surface).

    Parameters
    ----------
    f : callable
        ``f(x, y)`` vectorized over arrays (an object with a ``.value(x, y)`` method, as in
        :mod:`nnbook.testfunctions`, works too, as does ``f(p)`` with ``p`` of shape ``(2, ...)``).
    xlim, ylim : (float, float)
        The plotted box (default: ``f.xlim`` / ``f.ylim``).
    ax : matplotlib Axes, optional
    levels : int or sequence of float
        Number of contour levels, or the levels themselves.
    resolution : int
        Grid points per axis.
    log : bool
        Space ``levels`` logarithmically between the smallest and largest value (for
        functions like Rosenbrock's, whose interesting valley is many decades below the rim).
    filled : bool
        Filled contours (``contourf``), or coloured lines only.
    lines : bool
        With ``filled``, also draw thin black level lines.
    minimum : (float, float) or sequence of them, optional
        Mark these points with stars (default: ``f.minima`` of a
        :class:`~nnbook.testfunctions.Function2D`, or ``f.minimum``, if present).
    cmap : colormap
    antialiased : bool
        ``False`` gives flat colour bands, which compress several times better in the PNG
        frames of an animation.

    Returns
    -------
    matplotlib.axes.Axes

    Chapter: *Gradient descent and its variants*.
    """
    xlim, ylim = _limits(f, None, xlim, ylim)
    x = np.linspace(*xlim, int(resolution))
    y = np.linspace(*ylim, int(resolution))
    X1, X2 = np.meshgrid(x, y)
    Z = _evaluate_on_grid(f, X1, X2)
    if np.isscalar(levels) or np.ndim(levels) == 0:
        n = int(levels)
        finite = Z[np.isfinite(Z)]
        if log:
            shift = 0.0 if finite.min() > 0 else -finite.min() + 1e-3 * (np.ptp(finite) or 1.0)
            lv = np.geomspace(finite.min() + shift, finite.max() + shift, n) - shift
        else:
            lv = np.linspace(finite.min(), finite.max(), n)
        levels = np.unique(lv)
    ax = _axes(ax, figsize=(5, 4))
    if filled:
        ax.contourf(X1, X2, Z, levels=levels, cmap=cmap, alpha=0.8, antialiased=antialiased)
        if lines:
            ax.contour(X1, X2, Z, levels=levels, colors="k", linewidths=0.3, alpha=0.5,
                       antialiased=antialiased)
    else:
        ax.contour(X1, X2, Z, levels=levels, cmap=cmap, linewidths=0.8, antialiased=antialiased)
    if minimum is None:
        minimum = getattr(f, "minima", None)
        minimum = getattr(f, "minimum", None) if minimum is None else minimum
    if minimum is not None and np.size(minimum):
        mn = np.asarray(to_numpy(minimum), dtype=float).reshape(-1, 2)
        ax.plot(mn[:, 0], mn[:, 1], "*", color="white", mec="k", ms=14, zorder=5,
                linestyle="none")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    return ax


def plot_trajectories(f, trajectories: Mapping[str, object], xlim=None, ylim=None, ax=None,
                      levels=30, log: bool = False, markers: bool = True, **contour_kwargs):
    r"""Optimizer paths drawn over the contours of :math:`f` (see :func:`plot_contours`).

    Parameters
    ----------
    f : callable
        The function whose contours are drawn, or ``None`` to draw the paths only.
    trajectories : dict
        ``{name: path}`` with each path of shape ``(T, 2)``: the iterates
        :math:`\theta_0, \theta_1, \dots` of one optimizer, e.g. from
        :func:`nnbook.testfunctions.run_optimizer` (NaN rows after a divergence are skipped).
    xlim, ylim : (float, float), optional
        Default: ``f.xlim``/``f.ylim``, else the paths' bounding box with a margin.
    markers : bool
        Mark every iterate (each path with its own marker) and the start with a circle.

    Each path has its own colour, line style and marker, so paths never differ by colour
    alone.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines`` holds one line per trajectory, in the dict's order, after the contours.

    Chapter: *Gradient descent and its variants*.
    """
    if not trajectories:
        raise ValueError("trajectories is empty: give {name: (T, 2) array}")
    xlim, ylim = _limits(f, trajectories, xlim, ylim)
    if f is not None:
        ax = plot_contours(f, xlim, ylim, ax=ax, levels=levels, log=log, **contour_kwargs)
    else:
        ax = _axes(ax, figsize=(5, 4))
    for k, (name, traj) in enumerate(trajectories.items()):
        P = _path(traj)
        style = _path_style(k)
        line, = ax.plot(P[:, 0], P[:, 1], color=style["color"], linestyle=style["linestyle"],
                        marker=style["marker"] if markers else None, ms=3, lw=1.5, label=name)
        if markers:
            ax.plot(P[0, 0], P[0, 1], "o", mfc="none", mec=line.get_color(), ms=8)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.legend(fontsize="small", loc="best")
    return ax


def animate_trajectories(f, trajectories: Mapping[str, object], xlim=None, ylim=None,
                         frames: int = 20, interval: int = 120, figsize=(4.5, 3.6),
                         dpi: int = 72, levels=20, log: bool = False, minimum=None,
                         legend: str = "upper right"):
    r"""Animate optimizer paths over the contours of :math:`f`; returns a ``FuncAnimation``.

    Frame :math:`i` shows every path up to the iterate :math:`\lfloor i (T-1)/(F-1) \rfloor`.
    Each path has its own colour, line style and head marker (never colour alone).
    ``minimum`` marks points with stars, as in :func:`plot_contours` (default: the minima
    of a :class:`~nnbook.testfunctions.Function2D`); ``legend="outside"`` puts the legend to
    the right of the surface instead of on it (any other value is a matplotlib ``loc``).
    The defaults (20 frames of a small figure at 72 dpi over flat, un-antialiased contour
    bands) keep :func:`to_html` and :func:`to_gif` output to a few hundred kB, small enough to
    embed in a static web page.  The figure is closed so that a notebook shows the
    animation only, not a stray still.

    Returns
    -------
    matplotlib.animation.FuncAnimation

    Chapter: *Gradient descent and its variants*.
    """
    from matplotlib.animation import FuncAnimation

    plt = _pyplot()
    paths = {name: _path(t) for name, t in trajectories.items()}
    if not paths:
        raise ValueError("trajectories is empty: give {name: (T, 2) array}")
    T = max(len(P) for P in paths.values())
    frames = max(1, min(int(frames), T))
    steps = np.linspace(0, T - 1, frames).round().astype(int)
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi, constrained_layout=True)
    xlim, ylim = _limits(f, paths, xlim, ylim)
    if f is not None:
        plot_contours(f, xlim, ylim, ax=ax, levels=levels, log=log, lines=False,
                      antialiased=False, minimum=minimum)
    elif minimum is not None:
        mn = np.asarray(to_numpy(minimum), dtype=float).reshape(-1, 2)
        ax.plot(mn[:, 0], mn[:, 1], "*", color="white", mec="k", ms=14, zorder=5,
                linestyle="none")
    lines, heads = [], []
    for k, name in enumerate(paths):
        style = _path_style(k)
        line, = ax.plot([], [], color=style["color"], linestyle=style["linestyle"], lw=2,
                        marker=style["marker"], markevery=[-1], ms=6, label=name)
        head, = ax.plot([], [], style["marker"], color=style["color"], mec="k", ms=6)
        lines.append(line)
        heads.append(head)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    if legend == "outside":
        fig.legend(handles=lines, loc="outside right upper", fontsize="small")
    else:
        ax.legend(handles=lines, fontsize="small", loc=legend)
    title = ax.set_title("iteration 0")

    def draw(i):
        t = steps[i]
        for line, head, P in zip(lines, heads, paths.values()):
            k = min(t, len(P) - 1)
            line.set_data(P[:k + 1, 0], P[:k + 1, 1])
            head.set_data(P[k:k + 1, 0], P[k:k + 1, 1])
        title.set_text(f"iteration {t}")
        return (*lines, *heads, title)

    anim = FuncAnimation(fig, draw, frames=frames, interval=interval, blit=False)
    anim.figure = fig          # public handle on the (closed) figure, e.g. to restyle it
    plt.close(fig)
    return anim


def to_gif(anim, fps: int = 5, dpi=None, hold_last: float = 2.0) -> bytes:
    """The bytes of a looping GIF of ``anim`` (Pillow), to show with ``IPython.display.Image``.

    A GIF is an image, so a static web page shows it with no script, and it is usually smaller
    than :func:`to_html`'s inlined PNG frames.  The last frame stays ``hold_last`` seconds
    before the loop restarts, so that the end state can be read.  The layout of the first
    frame is computed once and kept for every frame (recomputing it per frame doubles the
    time).  Chapter: *Gradient descent and its variants*.
    """
    import io
    import tempfile
    from pathlib import Path

    from PIL import Image, ImageSequence

    fig = getattr(anim, "figure", None) or anim._fig     # ours set .figure; any FuncAnimation has ._fig
    fig.draw_without_rendering()
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "animation.gif"
        anim.save(path, writer="pillow", fps=fps, dpi=dpi or fig.dpi)
        with Image.open(path) as im:
            frames = [f.copy() for f in ImageSequence.Iterator(im)]
    step = int(round(1000 / fps))
    durations = [step] * (len(frames) - 1) + [max(step, int(round(1000 * hold_last)))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0)
    return buf.getvalue()


def to_html(anim, default_mode: str = "once") -> str:
    """HTML (JavaScript player with the frames inlined) that embeds ``anim`` in a static page.

    Returns ``anim.to_jshtml()``; a notebook cell shows it with
    ``IPython.display.HTML(to_html(anim))``.  Chapter: *Gradient descent and its variants*.
    """
    return anim.to_jshtml(default_mode=default_mode)


# --- diagnostics ------------------------------------------------------------------------
def plot_weight_histograms(net, bins: int = 50, gradients: bool = False, figsize=None):
    r"""Histogram of each layer's weights :math:`W^{[l]}` (or gradients :math:`dW^{[l]}`).

    Useful to see initialization scale (He: std :math:`\sqrt{2/n_{l-1}}`) and dead or
    exploding layers.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per layer, titled with the layer's name, shape and standard deviation.

    Chapter: *Training diagnostics*.
    """
    plt = _pyplot()
    L = len(net.layers)
    fig, axes = plt.subplots(1, L, figsize=figsize or (3.0 * L, 2.6), squeeze=False,
                             constrained_layout=True)
    for l, (ax, layer) in enumerate(zip(axes.flat, net.layers), start=1):
        W = to_numpy(layer.dW if gradients else layer.W).ravel()
        ax.hist(W, bins=bins, color="C0" if not gradients else "C3")
        name = f"dW{l}" if gradients else f"W{l}"
        ax.set_title(f"{name} {layer.n_out}×{layer.n_in}, std {W.std():.3g}", fontsize="small")
    return fig


def plot_gradient_norms(history, keys: Sequence[str] | None = None, ax=None):
    r"""Gradient norms :math:`\lVert dW^{[l]} \rVert` per epoch or step, on a log scale.

    Parameters
    ----------
    history : History or dict
        Its lists under ``keys`` are plotted; by default every key containing ``"grad"``
        (e.g. ``"grad_norm"``, ``"grad_norm_W1"``).

    Returns
    -------
    matplotlib.axes.Axes

    Chapter: *Training diagnostics*.
    """
    h = _history_dict(history)
    if keys is None:
        keys = [k for k in h if "grad" in k]
    keys = [k for k in keys if k in h and len(h[k]) > 0]
    if not keys:
        raise ValueError(f"no gradient-norm entries in the history; it has {sorted(h)}")
    ax = _axes(ax)
    for k in keys:
        v = np.asarray([float(to_numpy(x)) for x in h[k]])
        ax.plot(np.arange(1, len(v) + 1), v, label=k)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm")
    ax.legend(fontsize="small")
    return ax
