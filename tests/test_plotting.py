"""Tests of nnbook.plotting: returned objects, the data actually drawn, lazy matplotlib import."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402

import nnbook as nb  # noqa: E402
from nnbook import activations as act  # noqa: E402
from nnbook import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- import without matplotlib ----------------------------------------------------------
def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)


def test_import_nnbook_does_not_import_matplotlib():
    r = _run("import sys, nnbook, nnbook.plotting; "
             "print('matplotlib' in sys.modules, 'matplotlib.pyplot' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False"]


def test_missing_matplotlib_gives_install_hint():
    # A meta-path finder that refuses matplotlib simulates an environment without it.
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'matplotlib' or name.startswith('matplotlib.'):\n"
        "            raise ImportError('No module named ' + repr(name))\n"
        "sys.meta_path.insert(0, Block())\n"
        "import nnbook.plotting as p\n"
        "try:\n"
        "    p.plot_activation('relu')\n"
        "except ImportError as e:\n"
        "    print('HINT' if \"pip install 'nnbook[plot]'\" in str(e) else 'NOHINT', e)\n"
    )
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("HINT"), r.stdout


# --- activations ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "step"])
def test_plot_activation_draws_function_and_derivative(name):
    z = np.linspace(-3, 3, 61)
    ax = plotting.plot_activation(name, z=z)
    assert isinstance(ax, matplotlib.axes.Axes)
    g = act.get_activation(name)
    (x0, y0), (x1, y1) = ax.lines[0].get_data(), ax.lines[1].get_data()
    np.testing.assert_array_equal(x0, z)
    np.testing.assert_allclose(y0, g.forward(z), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(x1, z)
    np.testing.assert_allclose(y1, g.prime(z), rtol=0, atol=1e-15)


def test_plot_activation_on_given_axes_without_derivative():
    fig, ax = plt.subplots()
    out = plotting.plot_activation("relu", ax=ax, derivative=False)
    assert out is ax
    assert [ln.get_label() for ln in ax.lines if not ln.get_label().startswith("_")] == ["relu(z)"]
    x, y = ax.lines[0].get_data()
    np.testing.assert_array_equal(y, np.maximum(x, 0))


def test_plot_activation_callable_uses_numerical_derivative():
    z = np.linspace(-2, 2, 41)
    ax = plotting.plot_activation(np.sin, z=z)
    np.testing.assert_allclose(ax.lines[1].get_data()[1], np.cos(z), atol=1e-8)


def test_plot_activation_rejects_softmax_and_junk():
    with pytest.raises(ValueError, match="not elementwise"):
        plotting.plot_activation("softmax")
    with pytest.raises(TypeError, match="name_or_fn"):
        plotting.plot_activation(3)


def test_plot_activations_grid():
    fig = plotting.plot_activations(["relu", "tanh", "sigmoid"], ncols=2)
    assert isinstance(fig, matplotlib.figure.Figure)
    visible = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in visible] == ["relu", "tanh", "sigmoid"]
    assert len(fig.axes) == 4 and not fig.axes[3].get_visible()


# --- decision boundaries ----------------------------------------------------------------
def _pixel_values(ax, X):
    """Value of the image pixel containing each sample of X (2, m)."""
    im = ax.images[0]
    data = np.asarray(im.get_array())
    x0, x1, y0, y1 = im.get_extent()
    rows, cols = data.shape
    j = np.floor((X[0] - x0) / (x1 - x0) * cols).astype(int)
    i = np.floor((X[1] - y0) / (y1 - y0) * rows).astype(int)
    return data[i, j]


def _pixel_centres(ax, X):
    """The grid point (pixel centre) nearest each sample."""
    im = ax.images[0]
    x0, x1, y0, y1 = im.get_extent()
    rows, cols = np.asarray(im.get_array()).shape
    dx, dy = (x1 - x0) / cols, (y1 - y0) / rows
    j = np.floor((X[0] - x0) / dx)
    i = np.floor((X[1] - y0) / dy)
    return np.stack([x0 + (j + 0.5) * dx, y0 + (i + 0.5) * dy])


def test_decision_boundary_softmax_regions_match_predictions(rng):
    X = rng.normal(size=(2, 60)) + np.repeat([[-2, 0, 2], [0, 2, 0]], 20, axis=1)
    y = np.repeat([0, 1, 2], 20)
    net = nb.Network([2, 8, 3], loss="cce", seed=1)
    ax = plotting.plot_decision_boundary(net, X, y, resolution=120)
    assert isinstance(ax, matplotlib.axes.Axes)
    drawn = _pixel_values(ax, X)
    # the drawn class is the network's argmax at the grid point of the sample's pixel
    np.testing.assert_array_equal(drawn, net.forward(_pixel_centres(ax, X)).argmax(axis=0))
    assert set(np.unique(drawn)) <= {0, 1, 2}
    # and the grid has the requested resolution
    assert np.asarray(ax.images[0].get_array()).shape == (120, 120)


def test_decision_boundary_sigmoid_probability_and_threshold(rng):
    X = rng.normal(size=(2, 50))
    y = (X[0] + X[1] > 0).astype(int)
    net = nb.Network([2, 4, 1], loss="bce", seed=3)
    ax = plotting.plot_decision_boundary(net, X, y.reshape(1, -1), resolution=80)
    drawn = _pixel_values(ax, X)
    np.testing.assert_allclose(drawn, net.forward(_pixel_centres(ax, X)).ravel(), rtol=1e-12)
    assert drawn.min() >= 0 and drawn.max() <= 1
    hard = plotting.plot_decision_boundary(net, X, proba=False, resolution=80)
    np.testing.assert_array_equal(_pixel_values(hard, X), drawn >= 0.5)


def test_decision_boundary_callable_linear_scores(rng):
    w = np.array([[1.0, -2.0]])
    X = rng.uniform(-1, 1, size=(2, 40))
    ax = plotting.plot_decision_boundary(lambda P: w @ P, X, proba=False, resolution=64)
    C = _pixel_values(ax, X)
    np.testing.assert_array_equal(C, (w @ _pixel_centres(ax, X)).ravel() >= 0)
    # far from the line w.x = 0, the class of the pixel is the class of the sample
    far = np.abs(w @ X).ravel() > 0.2
    assert far.sum() > 10
    np.testing.assert_array_equal(C[far], (w @ X).ravel()[far] >= 0)


def test_decision_boundary_rejects_rows_layout(rng):
    X = rng.normal(size=(30, 2))
    with pytest.raises(ValueError, match="samples in columns"):
        plotting.plot_decision_boundary(lambda P: P[0], X)


# --- history ----------------------------------------------------------------------------
class _FakeHistory:
    def __init__(self, h):
        self.history = h


@pytest.mark.parametrize("wrap", [dict, _FakeHistory])
def test_plot_history(wrap):
    h = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6],
         "accuracy": [0.5, 0.8, 0.9], "lr": [0.1, 0.1, 0.05]}
    fig = plotting.plot_history(wrap(h))
    assert isinstance(fig, matplotlib.figure.Figure)
    ax_loss, ax_acc = fig.axes
    assert [ln.get_label() for ln in ax_loss.lines] == ["loss", "val_loss"]
    np.testing.assert_array_equal(ax_loss.lines[0].get_data()[0], [1, 2, 3])
    np.testing.assert_array_equal(ax_loss.lines[1].get_data()[1], h["val_loss"])
    np.testing.assert_array_equal(ax_acc.lines[0].get_data()[1], h["accuracy"])
    assert len(ax_acc.lines) == 1   # no val_accuracy recorded


def test_plot_history_errors():
    with pytest.raises(ValueError, match="none of the metrics"):
        plotting.plot_history({"loss": [1.0]}, metrics=("accuracy",))
    with pytest.raises(TypeError, match="History"):
        plotting.plot_history([1.0, 2.0])


# --- contours and trajectories ----------------------------------------------------------
def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def test_plot_contours_and_trajectories():
    ax = plotting.plot_contours(_rosenbrock, (-2, 2), (-1, 3), log=True, minimum=(1, 1))
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.0, 3.0)
    star = ax.lines[-1]
    np.testing.assert_array_equal(np.ravel(star.get_data()), [1, 1])

    t = np.linspace(0, 1, 20)
    paths = {"gd": np.stack([t - 1, t], axis=1), "adam": np.stack([t, 2 * t], axis=1)}
    ax = plotting.plot_trajectories(_rosenbrock, paths, xlim=(-2, 2), ylim=(-1, 3))
    drawn = [ln for ln in ax.lines if ln.get_label() in paths]
    assert [ln.get_label() for ln in drawn] == ["gd", "adam"]
    for ln in drawn:
        np.testing.assert_array_equal(np.column_stack(ln.get_data()), paths[ln.get_label()])


def test_trajectory_limits_default_to_paths_and_accept_points_in_columns():
    P = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 4.0]])          # (2, T)
    ax = plotting.plot_trajectories(None, {"p": P})
    x0, x1 = ax.get_xlim()
    assert x0 < 0 < 2 < x1
    np.testing.assert_array_equal(ax.lines[0].get_data()[1], P[1])


def test_with_the_books_test_functions_and_a_diverged_run():
    from nnbook.optimizers import SGD, Adam
    from nnbook.testfunctions import get_test_function, run_optimizer

    f = get_test_function("himmelblau")
    ax = plotting.plot_contours(f)                  # window and minima from the Function2D
    assert ax.get_xlim() == f.xlim and ax.get_ylim() == f.ylim
    stars = ax.lines[-1]
    np.testing.assert_allclose(np.column_stack(stars.get_data()), np.array(f.minima))

    rb = get_test_function("rosenbrock")
    good = run_optimizer(Adam(0.05), rb, rb.grad, rb.start, 50)
    bad = run_optimizer(SGD(0.1), rb, rb.grad, rb.start, 50)   # diverges: NaN rows
    assert np.isnan(bad).any() and np.isfinite(good).all()
    ax = plotting.plot_trajectories(None, {"adam": good, "sgd": bad})
    assert np.isfinite(ax.get_xlim()).all() and np.isfinite(ax.get_ylim()).all()
    ax = plotting.plot_trajectories(rb, {"adam": good, "sgd": bad}, log=True)
    assert ax.get_xlim() == rb.xlim
    anim = plotting.animate_trajectories(rb, {"adam": good, "sgd": bad}, frames=3, log=True)
    assert "<script" in plotting.to_html(anim)


def test_contours_need_vectorized_f():
    with pytest.raises(ValueError, match="vectorized"):
        plotting.plot_contours(lambda x, y: 1.0, (0, 1), (0, 1))


def test_animation_and_html():
    t = np.linspace(0, 1, 50)
    paths = {"a": np.stack([t, t], axis=1), "b": np.stack([t, t ** 2], axis=1)[:30]}
    anim = plotting.animate_trajectories(_rosenbrock, paths, xlim=(0, 1), ylim=(0, 1), frames=5)
    assert isinstance(anim, FuncAnimation)
    html = plotting.to_html(anim)
    assert isinstance(html, str) and "<script" in html
    # the last frame shows each path in full
    # (rendering drew every frame; the figure is left at the last one)
    line_a, head_a, line_b, head_b = anim._fig.axes[0].lines
    np.testing.assert_array_equal(line_a.get_data()[1], paths["a"][:, 1])
    np.testing.assert_array_equal(line_b.get_data()[1], paths["b"][:, 1])
    np.testing.assert_array_equal(np.ravel(head_b.get_data()), paths["b"][-1])
    assert html.count("frames[") >= 5   # one inlined image per frame


# --- diagnostics ------------------------------------------------------------------------
def test_weight_histograms_and_gradient_norms():
    net = nb.Network([5, 4, 3], loss="cce", seed=0)
    fig = plotting.plot_weight_histograms(net, bins=10)
    assert len(fig.axes) == 2
    counts = [sum(p.get_height() for p in ax.patches) for ax in fig.axes]
    assert counts == [20, 12]
    ax = plotting.plot_gradient_norms({"loss": [1, 2], "grad_norm": [3.0, 1.0]})
    assert [ln.get_label() for ln in ax.lines] == ["grad_norm"]
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="no gradient-norm"):
        plotting.plot_gradient_norms({"loss": [1.0]})


def test_book_style_fits_the_column_with_readable_text():
    import matplotlib.pyplot as plt

    with plt.rc_context():
        plotting.use_book_style()
        width, _ = plt.rcParams["figure.figsize"]
        assert width * plt.rcParams["figure.dpi"] <= 740          # shown at 100 % in the column
        assert plotting.MAX_WIDTH * plt.rcParams["figure.dpi"] <= 740
        assert min(plt.rcParams["xtick.labelsize"], plt.rcParams["legend.fontsize"]) >= 10
        cycle = plt.rcParams["axes.prop_cycle"].by_key()
        # every colour has its own line style within a pair of neighbours: never colour alone
        assert len(set(zip(cycle["color"], cycle["linestyle"]))) == len(cycle["color"]) == 8
        assert "#FF0000" not in cycle["color"] and "#00FF00" not in cycle["color"]


def test_paths_differ_by_more_than_colour_and_to_gif_makes_a_small_gif():
    import matplotlib
    matplotlib.use("Agg")
    paths = {name: np.c_[np.linspace(0, 1, 6), np.linspace(0, 1, 6) ** (k + 1)]
             for k, name in enumerate(["a", "b", "c", "d", "e", "f"])}
    ax = plotting.plot_trajectories(None, paths)
    drawn = [ln for ln in ax.lines if not ln.get_label().startswith("_")]
    styles = {(ln.get_linestyle(), ln.get_marker()) for ln in drawn}
    assert len(drawn) == 6 and len(styles) == 6           # six paths, six line style/marker pairs
    anim = plotting.animate_trajectories(None, paths, xlim=(0, 1), ylim=(0, 1), frames=4,
                                         minimum=(1, 1), legend="outside")
    labelled = [ln for ln in anim.figure.axes[0].lines if not ln.get_label().startswith("_")]
    assert len({(ln.get_linestyle(), ln.get_marker()) for ln in labelled}) == 6
    assert any(ln.get_marker() == "*" for ln in anim.figure.axes[0].lines)   # the minimum
    gif = plotting.to_gif(anim, fps=4, hold_last=1.5)
    assert gif[:6] in (b"GIF87a", b"GIF89a") and len(gif) < 200_000
    import io
    from PIL import Image, ImageSequence
    with Image.open(io.BytesIO(gif)) as im:
        durations = [f.info["duration"] for f in ImageSequence.Iterator(im)]
    assert len(durations) == 4 and durations[:-1] == [250] * 3 and durations[-1] == 1500
