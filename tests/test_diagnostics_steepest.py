"""The range test's steepest-descent suggestion is searched only on the falling part of the curve."""
import numpy as np
import pytest

import nnbook as nb
from nnbook.data import moons
from nnbook.diagnostics import _suggestions, lr_range_test


def _smoothed(losses, k=5):
    return np.convolve(losses, np.ones(k) / k, mode="valid")


def _unrestricted_steepest(lrs, losses, k=5):
    """The old rule: the steepest fall of the smoothed loss anywhere on the curve."""
    smooth = _smoothed(losses, k)
    slope = np.diff(smooth) / np.diff(np.log(lrs[k - 1:]))
    return float(lrs[k - 1:][1:][np.argmin(slope)])


@pytest.fixture
def curve_with_a_fall_past_the_minimum():
    """A slowing fall to a minimum at index 20, a rise, a steep fall (above the minimum), a blow-up."""
    lrs = 1e-3 * (1e4) ** (np.arange(40) / 39)
    losses = np.concatenate([
        1.0 + (1.0 - np.arange(21) / 20) ** 2,   # indices 0-20: 2.0 falling, ever slower, to 1.0
        np.linspace(1.5, 4.0, 6),           # 21-26: rises
        [2.0, 1.6, 1.5],                    # 27-29: falls by 2.5 in three steps, stays above 1.0
        np.linspace(3.0, 12.0, 10),         # 30-39: blows up
    ])
    assert losses.shape == lrs.shape and losses.argmin() == 20
    return lrs, losses


def test_the_steep_fall_past_the_minimum_is_not_picked(curve_with_a_fall_past_the_minimum):
    lrs, losses = curve_with_a_fall_past_the_minimum
    # the curve is a real test: the unrestricted rule picks a rate past the minimum
    assert _unrestricted_steepest(lrs, losses) > lrs[20]
    best_lr, steepest_lr = _suggestions(lrs, losses)
    assert best_lr == lrs[20]
    assert steepest_lr <= best_lr
    # the fall slows down, so the 5-step means fall fastest first: from the window [0, 4] to
    # [1, 5], whose change is attributed to the rate of index 5
    assert steepest_lr == lrs[5]


def test_steepest_is_the_largest_fall_of_the_smoothed_loss_before_its_minimum():
    lrs = np.geomspace(1e-3, 10.0, 30)
    losses = np.concatenate([np.full(8, 2.0), [1.9, 1.2, 0.9, 0.8], np.linspace(0.75, 0.7, 8),
                             np.linspace(1.0, 9.0, 10)])
    best_lr, steepest_lr = _suggestions(lrs, losses)
    smooth = _smoothed(losses)
    stop = int(np.argmin(smooth)) + 1
    slope = np.diff(smooth[:stop]) / np.diff(np.log(lrs[4:][:stop]))
    assert steepest_lr == lrs[4:][1:][np.argmin(slope)]
    assert best_lr == lrs[losses.argmin()] and steepest_lr < best_lr
    # the 5-step means change by (loss[j + 5] - loss[j]) / 5, most negative for j = 7
    # (2.0 -> 0.75): from the window [7, 11] to [8, 12], attributed to the rate of index 12
    assert steepest_lr == lrs[12]


def test_a_curve_that_only_rises_suggests_its_best_rate():
    lrs = np.geomspace(0.01, 1.0, 12)
    losses = np.linspace(1.0, 5.0, 12)
    assert _suggestions(lrs, losses) == (lrs[0], lrs[0])


def test_a_non_finite_last_loss_is_ignored():
    lrs = np.geomspace(0.01, 10.0, 20)
    losses = np.concatenate([np.linspace(2.0, 0.5, 19), [np.inf]])
    best_lr, steepest_lr = _suggestions(lrs, losses)
    assert best_lr == lrs[18] and np.isfinite(steepest_lr) and steepest_lr <= best_lr


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_lr_range_test_suggestion_lies_before_the_smoothed_minimum(seed):
    X, y = moons(m=200, noise=0.2, seed=seed)
    net = nb.Network([2, 16, 1], hidden="relu", output="sigmoid", loss="bce", seed=seed)
    r = lr_range_test(net, X, y, lr_min=1e-3, lr_max=1e3, steps=80, batch_size=20, seed=seed)
    smooth = _smoothed(r["loss"])
    lr_at_smoothed_min = r["lr"][4:][np.nanargmin(smooth)]
    assert r["lr"][0] < r["steepest_lr"] <= lr_at_smoothed_min
    assert (r["best_lr"], r["steepest_lr"]) == _suggestions(r["lr"], r["loss"])
