"""Tests of nnbook.perceptron: Rosenblatt's rule, Novikoff's bound, and XOR."""
import numpy as np
import pytest

from nnbook import data
from nnbook.perceptron import Perceptron


def test_first_updates_by_hand():
    # XOR points in truth-table order, zero start, alpha = 1, step(0) = 1:
    # (0,0) y=0: z=0 -> 1, err -1: w=(0,0), b=-1
    # (0,1) y=1: z=-1 -> 0, err +1: w=(0,1), b=0
    # (1,0) y=1: z=0 -> 1, err 0: no change
    # (1,1) y=0: z=1 -> 1, err -1: w=(-1,0), b=-1
    X, y = data.xor()
    p = Perceptron(2, shuffle=False)
    errors = []
    expected = [((0, 0), -1), ((0, 1), 0), ((0, 1), 0), ((-1, 0), -1)]
    for i, (w, b) in enumerate(expected):
        errors.append(p.update(X[:, i], y[i]))
        np.testing.assert_array_equal(p.w, w)
        assert p.b == b
    assert errors == [-1, 1, 0, -1]


def test_fit_epoch_matches_hand_updates_and_lr_scaling():
    X, y = data.xor()
    p = Perceptron(2, lr=0.5, shuffle=False).fit(X, y, epochs=1)
    np.testing.assert_array_equal(p.w, [-0.5, 0.0])
    assert p.b == -0.5 and p.mistakes_ == [3]
    assert len(p.history_) == 2 and p.history_[0][1] == 0.0


def test_at_zero_convention_changes_predictions():
    X = np.array([[0.0, 1.0]])
    p1, p0 = Perceptron(1, at_zero=1), Perceptron(1, at_zero=0)
    np.testing.assert_array_equal(p1.predict(X), [1, 1])  # zero weights: z = 0 everywhere
    np.testing.assert_array_equal(p0.predict(X), [0, 0])
    np.testing.assert_array_equal(Perceptron(1, at_zero=0.5).predict(X), [0.5, 0.5])
    with pytest.raises(ValueError, match="at_zero"):
        Perceptron(1, at_zero=2)


def _separable_with_margin(seed, gamma0=0.3):
    """Blobs with the points closer than gamma0 to a known hyperplane u removed."""
    mu = np.array([[1.5, -1.5], [1.0, -1.0]])
    X, y = data.blobs(300, centers=mu, std=1.0, seed=seed)
    u = np.array([1.0, 1.0, -0.5])  # separating hyperplane in the augmented space (x, 1)
    u /= np.linalg.norm(u)
    X_aug = np.vstack([X, np.ones(X.shape[1])])
    signed = (2 * y - 1) * -(u @ X_aug)  # class 0 is on the side u.x > 0
    keep = signed >= gamma0
    return X[:, keep], y[keep], u


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lr", [1.0, 0.1])
def test_converges_within_novikoff_bound(seed, lr):
    X, y, u = _separable_with_margin(seed)
    X_aug = np.vstack([X, np.ones(X.shape[1])])
    y_pm = 2 * y - 1
    gamma = (y_pm * -(u @ X_aug)).min()  # margin of the known separator (unit -u)
    R = np.sqrt((X_aug ** 2).sum(axis=0)).max()
    assert gamma >= 0.3 and X.shape[1] > 150
    p = Perceptron(2, lr=lr, seed=seed).fit(X, y, epochs=1000)
    assert p.converged_ and p.mistakes_[-1] == 0
    assert sum(p.mistakes_) <= (R / gamma) ** 2
    assert sum(p.mistakes_) > 0  # the data are not trivially classified by zero weights
    np.testing.assert_array_equal(p.predict(X), y)


def test_never_converges_on_xor():
    X, y = data.xor()
    p = Perceptron(2, seed=0).fit(X, y, epochs=100)
    assert len(p.mistakes_) == 100 and min(p.mistakes_) > 0 and not p.converged_
    assert (p.predict(X) != y).any()


def test_history_records_every_epoch_and_fit_continues():
    X, y = data.xor()
    p = Perceptron(2).fit(X, y, epochs=3)
    p.fit(X, y, epochs=2)
    assert len(p.mistakes_) == 5 and len(p.history_) == 6
    w, b = p.history_[-1]
    np.testing.assert_array_equal(w, p.w)
    assert b == p.b
    p.history_[-1][0][0] = 99.0  # history holds copies
    assert p.w[0] != 99.0


def test_stop_when_converged_false_runs_all_epochs():
    X, y = data.blobs(50, seed=0)
    p = Perceptron(2).fit(X, y, epochs=5, stop_when_converged=False)
    assert len(p.mistakes_) == 5 and p.converged_ and p.mistakes_[-1] == 0


def test_same_seed_same_result_and_init_normal():
    X, y = data.blobs(80, std=2.0, seed=4)
    a = Perceptron(2, seed=3).fit(X, y, epochs=20)
    b = Perceptron(2, seed=3).fit(X, y, epochs=20)
    np.testing.assert_array_equal(a.w, b.w)
    assert a.mistakes_ == b.mistakes_
    q = Perceptron(3, init="normal", seed=1)
    assert np.abs(q.w).max() < 0.1 and (q.w != 0).all()


def test_decision_function_and_errors():
    p = Perceptron(2)
    p.w[:] = [2.0, -1.0]
    p.b = 0.5
    X = np.array([[1.0, 0.0], [0.0, 3.0]])
    np.testing.assert_array_equal(p.decision_function(X), [2.5, -2.5])
    np.testing.assert_array_equal(p.predict(X), [1, 0])
    with pytest.raises(ValueError, match=r"expected X of shape \(2, m\), got \(3, 2\): are samples in columns"):
        p.predict(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="labels 0 and 1.*\\(y \\+ 1\\) // 2"):
        p.fit(X, np.array([-1, 1]))
    with pytest.raises(ValueError, match="2 samples .* 3 labels"):
        p.fit(X, np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="lr"):
        Perceptron(2, lr=0)
    with pytest.raises(ValueError, match="n_features"):
        Perceptron(0)
    with pytest.raises(ValueError, match="init"):
        Perceptron(2, init="he")
