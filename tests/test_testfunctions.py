"""Tests of nnbook.testfunctions: values, gradients by finite differences, shapes, run_optimizer."""
from __future__ import annotations

import numpy as np
import pytest

from nnbook.gradcheck import check_gradient
from nnbook.optimizers import SGD, Adam, Momentum
from nnbook.testfunctions import (
    HIMMELBLAU_MINIMA, TEST_FUNCTIONS, elongated_valley, elongated_valley_grad,
    gaussian_wells, get_test_function, himmelblau, quadratic_bowl, rosenbrock,
    rosenbrock_grad, run_optimizer, saddle, saddle_grad,
)

NAMES = list(TEST_FUNCTIONS)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_finite_differences(name, rng):
    fn = TEST_FUNCTIONS[name]
    for _ in range(5):
        p = np.array([rng.uniform(*fn.xlim), rng.uniform(*fn.ylim)])
        err = check_gradient(lambda q: float(fn.f(q)), fn.grad, p)
        assert err < 1e-7, (name, p, err)


@pytest.mark.parametrize("angle", [0.0, 0.5, np.pi / 6])
@pytest.mark.parametrize("kappa", [1.0, 50.0])
def test_rotated_valley_gradient_and_conditioning(angle, kappa, rng):
    p = rng.normal(size=2)
    err = check_gradient(lambda q: float(elongated_valley(q, kappa=kappa, angle=angle)),
                         lambda q: elongated_valley_grad(q, kappa=kappa, angle=angle), p)
    assert err < 1e-7
    # Hessian by differences of the gradient: eigenvalues 1 and kappa
    h = 1e-5
    H = np.array([(elongated_valley_grad(p + h * e, kappa=kappa, angle=angle)
                   - elongated_valley_grad(p - h * e, kappa=kappa, angle=angle)) / (2 * h)
                  for e in np.eye(2)])
    np.testing.assert_allclose(np.linalg.eigvalsh((H + H.T) / 2), sorted([1.0, kappa]), rtol=1e-6)


def test_hand_values():
    assert quadratic_bowl(np.array([3.0, 4.0])) == 12.5
    assert elongated_valley(np.array([1.0, 1.0])) == pytest.approx(0.5 * (1 + 50))
    assert rosenbrock(np.array([1.0, 1.0])) == 0.0
    assert rosenbrock(np.array([0.0, 0.0])) == 1.0
    assert rosenbrock(np.array([-1.2, 1.0])) == pytest.approx(4.84 + 100 * 0.44 ** 2)   # 24.2
    assert saddle(np.array([2.0, 3.0])) == -5.0
    np.testing.assert_array_equal(saddle_grad(np.array([2.0, 3.0])), [4.0, -6.0])
    assert himmelblau(np.array([0.0, 0.0])) == 170.0


@pytest.mark.parametrize("name", NAMES)
def test_known_minima_have_zero_gradient(name):
    fn = TEST_FUNCTIONS[name]
    for m in fn.minima:
        assert np.linalg.norm(fn.grad(np.array(m))) < 1e-9, (name, m)
    if name == "himmelblau":
        assert len(fn.minima) == 4
        for m in HIMMELBLAU_MINIMA:
            assert himmelblau(m) < 1e-20


def test_gaussian_wells_minima_are_ordered_by_depth():
    values = [gaussian_wells(np.array(m)) for m in TEST_FUNCTIONS["gaussian_wells"].minima]
    assert values == sorted(values) and values[0] < -1.0


@pytest.mark.parametrize("name", NAMES)
def test_vectorized_over_a_grid_matches_pointwise(name):
    fn = TEST_FUNCTIONS[name]
    X, Y, F = fn.grid(n=7)
    assert F.shape == (7, 7)
    G = fn.grad(X, Y)
    assert G.shape == (2, 7, 7)
    P = np.stack([X, Y])                         # a stack of points: first axis is (x, y)
    np.testing.assert_allclose(fn.f(P), F, rtol=1e-15)
    for i, j in [(0, 0), (3, 5), (6, 6)]:
        p = np.array([X[i, j], Y[i, j]])
        assert fn.f(p) == pytest.approx(F[i, j], rel=1e-15, abs=1e-15)
        np.testing.assert_allclose(fn.grad(p), G[:, i, j], rtol=1e-14, atol=1e-14)


def test_point_of_wrong_shape_raises():
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        rosenbrock(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="unknown test function"):
        get_test_function("ackley")


def test_run_optimizer_returns_the_path():
    fn = get_test_function("quadratic_bowl")
    path = run_optimizer(SGD(0.5), fn.f, fn.grad, [2.0, -4.0], 3)
    # grad = p, so p_k = (1 - 0.5)^k p_0
    np.testing.assert_allclose(path, [[2.0, -4.0], [1.0, -2.0], [0.5, -1.0], [0.25, -0.5]])


def test_run_optimizer_resets_the_optimizer_each_run():
    fn = get_test_function("rosenbrock")
    opt = Adam(0.05)
    a = run_optimizer(opt, fn.f, fn.grad, fn.start, 20)
    b = run_optimizer(opt, fn.f, fn.grad, fn.start, 20)
    np.testing.assert_array_equal(a, b)


def test_run_optimizer_divergence_fills_nan():
    # GD on the valley with lr above 2/kappa = 0.04 diverges
    fn = get_test_function("elongated_valley")
    path = run_optimizer(SGD(0.05), fn.f, fn.grad, [1.0, 1.0], 2000)
    assert path.shape == (2001, 2)
    assert np.isnan(path[-1]).all() and np.isfinite(path[:10]).all()
    stable = run_optimizer(SGD(0.035), fn.f, fn.grad, [1.0, 1.0], 2000)
    assert np.linalg.norm(stable[-1]) < 1e-6


def test_momentum_beats_gd_on_the_valley():
    fn = get_test_function("elongated_valley")
    gd = run_optimizer(SGD(0.035), fn.f, fn.grad, fn.start, 100)
    mom = run_optimizer(Momentum(0.035, beta=0.7), fn.f, fn.grad, fn.start, 100)
    assert fn.f(mom[-1]) < 1e-3 * fn.f(gd[-1])


def test_saddle_escape_and_himmelblau_basins():
    fn = get_test_function("saddle")
    on_axis = run_optimizer(SGD(0.1), fn.f, saddle_grad, [1.0, 0.0], 100)
    assert np.linalg.norm(on_axis[-1]) < 1e-8                 # converges to the saddle
    off_axis = run_optimizer(SGD(0.1), fn.f, saddle_grad, [1.0, 1e-3], 50)
    assert abs(off_axis[-1, 1]) > 1.0                          # escapes along y
    hb = get_test_function("himmelblau")
    ends = {tuple(np.round(run_optimizer(SGD(0.01), hb.f, hb.grad, s, 2000)[-1], 3))
            for s in [(4, 4), (-4, 4), (-4, -4), (4, -4)]}
    assert ends == {tuple(np.round(m, 3)) for m in HIMMELBLAU_MINIMA}


def test_run_optimizer_bad_arguments():
    fn = get_test_function("quadratic_bowl")
    with pytest.raises(ValueError, match="x0"):
        run_optimizer(SGD(0.1), fn.f, fn.grad, [1.0, 2.0, 3.0], 5)
    with pytest.raises(ValueError, match="steps"):
        run_optimizer(SGD(0.1), fn.f, fn.grad, [1.0, 2.0], -1)


def test_rosenbrock_parameters():
    p = np.array([0.3, -0.2])
    err = check_gradient(lambda q: float(rosenbrock(q, a=2.0, b=10.0)),
                         lambda q: rosenbrock_grad(q, a=2.0, b=10.0), p)
    assert err < 1e-7
    assert rosenbrock(np.array([2.0, 4.0]), a=2.0, b=10.0) == 0.0
