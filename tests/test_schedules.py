"""Tests of nnbook.schedules against values computed by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnbook.optimizers import SGD
from nnbook.schedules import constant, cosine_annealing, exponential_decay, step_decay


def test_constant():
    s = constant(0.3)
    assert [s(t) for t in (0, 1, 100)] == [0.3, 0.3, 0.3]
    assert isinstance(s(5), float)


def test_step_decay_hand_values():
    s = step_decay(0.1, drop=0.5, every=10)
    assert s(0) == 0.1 and s(9) == 0.1
    assert s(10) == pytest.approx(0.05) and s(19) == pytest.approx(0.05)
    assert s(20) == pytest.approx(0.025) and s(35) == pytest.approx(0.0125)
    s3 = step_decay(1.0, drop=0.1, every=3)
    assert [s3(t) for t in range(7)] == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01])


def test_exponential_decay_hand_values():
    s = exponential_decay(2.0, k=0.5)
    assert s(0) == 2.0
    assert s(1) == pytest.approx(2.0 * math.exp(-0.5))
    assert s(4) == pytest.approx(2.0 * math.exp(-2.0))  # 0.27067...
    assert s(4) == pytest.approx(0.2706705664732254)
    # halves every ln 2 / k epochs
    half = exponential_decay(1.0, k=math.log(2) / 5)
    assert half(5) == pytest.approx(0.5) and half(10) == pytest.approx(0.25)


def test_cosine_annealing_hand_values():
    s = cosine_annealing(1.0, T=10)
    assert s(0) == 1.0
    assert s(5) == pytest.approx(0.5)                        # halfway: (1 + cos(pi/2)) / 2
    assert s(10) == pytest.approx(0.0, abs=1e-15)
    assert s(20) == pytest.approx(0.0, abs=1e-15)            # stays at lr_min after T
    assert s(2) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.2)))   # 0.904508...
    assert s(2) == pytest.approx(0.9045084971874737)
    m = cosine_annealing(0.1, T=4, lr_min=0.02)
    assert [m(t) for t in range(6)] == pytest.approx(
        [0.1, 0.02 + 0.04 * (1 + math.cos(math.pi / 4)), 0.06,
         0.02 + 0.04 * (1 + math.cos(3 * math.pi / 4)), 0.02, 0.02])


def test_cosine_annealing_with_warmup_hand_values():
    s = cosine_annealing(0.8, T=14, warmup=4)
    # warm-up: 0.8 * (t + 1) / 4 for t = 0..3
    assert [s(t) for t in range(4)] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    # cosine over the 10 epochs 4..14
    assert s(4) == pytest.approx(0.8)
    assert s(9) == pytest.approx(0.4)
    assert s(14) == pytest.approx(0.0, abs=1e-15)
    assert s(30) == pytest.approx(0.0, abs=1e-15)


def test_schedules_accept_arrays_for_plotting():
    s = cosine_annealing(1.0, T=10, warmup=2)
    t = np.arange(15)
    lr = s(t)
    assert isinstance(lr, np.ndarray) and lr.shape == (15,)
    np.testing.assert_allclose(lr, [s(int(k)) for k in t])
    assert np.all(np.diff(lr[2:]) <= 1e-15)                  # non-increasing after warm-up
    assert step_decay(1.0, 0.5, 2)(np.arange(4)).tolist() == [1.0, 1.0, 0.5, 0.5]


def test_schedule_drives_an_optimizer():
    opt, s = SGD(1.0), step_decay(0.4, drop=0.5, every=1)
    x = np.array([0.0])
    for epoch in range(3):
        opt.lr = s(epoch)
        opt.step(x, np.array([-1.0]))
    assert x[0] == pytest.approx(0.4 + 0.2 + 0.1)


def test_repr():
    assert repr(step_decay(0.1, 0.5, 10)) == "step_decay(lr0=0.1, drop=0.5, every=10)"


@pytest.mark.parametrize("make, match", [
    (lambda: constant(-1.0), "lr"),
    (lambda: step_decay(0.1, drop=0.0), "drop"),
    (lambda: step_decay(0.1, drop=1.5), "drop"),
    (lambda: step_decay(0.1, every=0), "every"),
    (lambda: exponential_decay(0.1, k=-0.1), "k"),
    (lambda: exponential_decay(float("nan"), k=0.1), "lr0"),
    (lambda: cosine_annealing(0.1, T=0), "T"),
    (lambda: cosine_annealing(0.1, T=5, warmup=5), "T must be larger than warmup"),
    (lambda: cosine_annealing(0.1, T=10, lr_min=0.2), "lr_min"),
    (lambda: cosine_annealing(0.1, T=10, warmup=-1), "warmup"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_negative_t_raises():
    with pytest.raises(ValueError, match="t must be"):
        constant(0.1)(-1)
    with pytest.raises(ValueError, match="t must be"):
        cosine_annealing(0.1, T=3)(np.array([0, -2]))
