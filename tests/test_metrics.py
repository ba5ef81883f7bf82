"""Tests for nnbook.training.confusion_matrix (chapter *Training a network end to end*)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook as nb
from nnbook.data import one_hot
from nnbook.training import confusion_matrix


def _loop_confusion(t, p, K):
    """The definition, one sample at a time."""
    C = np.zeros((K, K), dtype=np.int64)
    for ti, pi in zip(t, p):
        C[ti, pi] += 1
    return C


def test_small_example_rows_are_true_columns_are_predicted():
    C = confusion_matrix([0, 1, 1, 2, 2, 2], [0, 2, 1, 2, 0, 2])
    expected = np.array([[1, 0, 0],
                         [0, 1, 1],
                         [1, 0, 2]])
    np.testing.assert_array_equal(C, expected)
    assert C.dtype.kind == "i"
    # transposing the roles transposes the matrix
    np.testing.assert_array_equal(confusion_matrix([0, 2, 1, 2, 0, 2], [0, 1, 1, 2, 2, 2]),
                                  expected.T)


@given(st.integers(1, 6).flatmap(
    lambda K: st.tuples(st.just(K),
                        st.lists(st.tuples(st.integers(0, K - 1), st.integers(0, K - 1)),
                                 min_size=1, max_size=40))))
def test_matches_the_definition_and_its_identities(case):
    K, pairs = case
    t = np.array([a for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    C = confusion_matrix(t, p, n_classes=K)
    np.testing.assert_array_equal(C, _loop_confusion(t, p, K))
    assert C.shape == (K, K) and C.sum() == len(pairs)
    np.testing.assert_array_equal(C.sum(axis=1), np.bincount(t, minlength=K))  # class sizes
    np.testing.assert_array_equal(C.sum(axis=0), np.bincount(p, minlength=K))  # predictions
    assert np.isclose(np.trace(C) / len(pairs), np.mean(t == p))                # accuracy


def test_two_dimensional_inputs_use_the_argmax_of_each_column(rng):
    K, m = 4, 50
    y = rng.integers(0, K, size=m)
    scores = rng.normal(size=(K, m))
    C = confusion_matrix(one_hot(y, K), scores)
    np.testing.assert_array_equal(C, confusion_matrix(y, scores.argmax(axis=0), n_classes=K))
    # the trace agrees with nnbook's accuracy on the same output
    assert np.isclose(np.trace(C) / m, nb.accuracy(scores, y))


def test_agrees_with_accuracy_of_a_trained_network():
    X, y = nb.data.blobs(m=120, centers=3, seed=2)
    net = nb.Network([2, 8, 3], hidden="tanh", loss="cce", seed=0)
    nb.fit(net, X, y, epochs=30, optimizer="adam", lr=0.05)
    C = confusion_matrix(y, net.predict(X))
    assert C.shape == (3, 3)
    assert np.isclose(np.trace(C) / y.size, nb.accuracy(net, X, y))


def test_n_classes_pads_absent_classes():
    C = confusion_matrix([0, 1], [1, 1], n_classes=4)
    assert C.shape == (4, 4)
    assert C[0, 1] == 1 and C[1, 1] == 1 and C.sum() == 2


@pytest.mark.parametrize("t, p, kwargs, match", [
    ([0, 1, 2], [0, 1], {}, "3 samples but y_pred has 2"),
    ([0, 3], [0, 1], {"n_classes": 3}, "label 3 is out of range for n_classes=3"),
    ([0, -1], [0, 1], {}, ">= 0"),
    ([0.5, 1], [0, 1], {}, "integer class labels"),
    ([], [], {}, "no samples and no n_classes"),
    ([0, 1], [0, 1], {"n_classes": 0}, "n_classes must be an integer >= 1"),
])
def test_bad_input_names_the_problem(t, p, kwargs, match):
    with pytest.raises(ValueError, match=match):
        confusion_matrix(t, p, **kwargs)


@pytest.mark.gpu
def test_device_arrays_give_a_host_matrix(cp):
    y = np.array([0, 1, 2, 2, 1])
    scores = np.eye(3)[:, [0, 2, 2, 1, 1]]
    C = confusion_matrix(cp.asarray(y), cp.asarray(scores))
    assert isinstance(C, np.ndarray)
    np.testing.assert_array_equal(C, confusion_matrix(y, scores))


def test_agrees_with_scikit_learn(rng):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    t = rng.integers(0, 5, size=200)
    p = np.where(rng.random(200) < 0.7, t, rng.integers(0, 5, size=200))
    np.testing.assert_array_equal(confusion_matrix(t, p, n_classes=5),
                                  sk_metrics.confusion_matrix(t, p, labels=range(5)))
