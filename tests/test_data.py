"""Tests of nnbook.data: toy sets, splitting, scaling, one-hot labels, minibatches, MNIST files."""
import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import data


# --- toy data sets ----------------------------------------------------------------------
def test_xor_truth_table():
    X, y = data.xor()
    assert X.shape == (2, 4) and y.shape == (4,)
    np.testing.assert_array_equal(y, X[0].astype(int) ^ X[1].astype(int))
    np.testing.assert_array_equal(y, [0, 1, 1, 0])


def test_xor_cloud_labels_follow_nearest_corner():
    X, y = data.xor(400, noise=0.1, seed=3)
    assert X.shape == (2, 400) and y.dtype.kind == "i"
    corner = np.round(X).clip(0, 1).astype(int)  # noise 0.1 never moves a point past 0.5
    np.testing.assert_array_equal(y, corner[0] ^ corner[1])
    assert 60 < np.bincount(y)[0] < 340


@pytest.mark.parametrize("make", [
    lambda s: data.xor(50, 0.2, seed=s), lambda s: data.blobs(50, 3, seed=s),
    lambda s: data.moons(50, seed=s), lambda s: data.circles(50, seed=s),
    lambda s: data.spirals(50, seed=s), lambda s: data.regression_1d(50, seed=s),
])
def test_datasets_are_deterministic_and_seed_dependent(make):
    (X1, y1), (X2, y2), (X3, _) = make(7), make(7), make(8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.shape[1] == 50 and y1.shape[-1] == 50


def test_generator_seed_continues_the_stream():
    rng = np.random.default_rng(0)
    X1, _ = data.moons(20, seed=rng)
    X2, _ = data.moons(20, seed=rng)
    assert not np.array_equal(X1, X2)


def test_blobs_two_centres_are_linearly_separable_and_balanced():
    X, y = data.blobs(200, centers=2, seed=0)
    assert X.shape == (2, 200)
    np.testing.assert_array_equal(np.bincount(y), [100, 100])
    # centres (+4, 0) and (-4, 0): the line x1 = 0 separates the classes
    assert (X[0, y == 0] > 0).all() and (X[0, y == 1] < 0).all()


def test_blobs_explicit_centres_any_dimension():
    mu = np.array([[0.0, 10.0], [0.0, 10.0], [0.0, 10.0]])
    X, y = data.blobs(60, centers=mu, std=0.5, seed=1)
    assert X.shape == (3, 60)
    np.testing.assert_allclose(X[:, y == 1].mean(axis=1), [10, 10, 10], atol=0.5)
    with pytest.raises(ValueError, match="centers"):
        data.blobs(10, centers=np.zeros(3))


def test_moons_circles_spirals_geometry():
    X, y = data.moons(101, noise=0.0)
    np.testing.assert_array_equal(np.bincount(y), [51, 50])
    outer = X[:, y == 0]
    np.testing.assert_allclose((outer ** 2).sum(axis=0), 1.0)
    X, y = data.circles(100, noise=0.0, factor=0.3)
    r = np.sqrt((X ** 2).sum(axis=0))
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)
    X, y = data.spirals(301, classes=3)
    np.testing.assert_array_equal(np.bincount(y), [101, 100, 100])
    assert np.sqrt((X ** 2).sum(axis=0)).max() <= 1.0 + 1e-12
    with pytest.raises(ValueError, match="factor"):
        data.circles(10, factor=1.5)
    with pytest.raises(ValueError, match="noise"):
        data.moons(10, noise=-1)
    with pytest.raises(ValueError, match="m must"):
        data.spirals(0)


def test_regression_1d_defaults_and_custom_f():
    X, Y = data.regression_1d(64, noise=0.0, seed=2)
    assert X.shape == Y.shape == (1, 64)
    assert (np.diff(X[0]) >= 0).all() and X.min() >= -np.pi and X.max() <= np.pi
    np.testing.assert_allclose(Y, np.sin(X))
    X, Y = data.regression_1d(30, noise=0.0, f=lambda x: x ** 2, low=0, high=2)
    np.testing.assert_allclose(Y, X ** 2)
    noisy = data.regression_1d(2000, noise=0.3, seed=2)
    assert 0.27 < (noisy[1] - np.sin(noisy[0])).std() < 0.33


def test_load_digits_columns_scaled():
    X, y = data.load_digits()
    assert X.shape == (64, 1797) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(y), np.arange(10))


# --- layout, split, scaling -------------------------------------------------------------
def test_from_rows_is_one_transpose():
    R = np.arange(6.0).reshape(3, 2)  # 3 samples, 2 features
    X = data.from_rows(R)
    np.testing.assert_array_equal(X, R.T)
    assert X.flags.c_contiguous
    assert data.from_rows(np.arange(4.0)).shape == (1, 4)


def test_train_test_split_partitions_columns():
    X = np.arange(20.0).reshape(2, 10)
    y = np.arange(10)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.3, seed=1)
    assert X_tr.shape == (2, 7) and X_te.shape == (2, 3)
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), y)
    np.testing.assert_array_equal(X_tr[0], y_tr)  # columns stay paired with their labels
    np.testing.assert_array_equal(X_te[1], y_te + 10)
    # 2-D targets are split on their last axis too; an int test_size is a count
    _, _, Y_tr, Y_te = data.train_test_split(X, data.one_hot(y), test_size=4)
    assert Y_tr.shape == (10, 6) and Y_te.shape == (10, 4)


def test_train_test_split_stratified_and_errors():
    X, y = data.blobs(90, centers=3, seed=0)
    _, _, y_tr, y_te = data.train_test_split(X, y, 0.2, stratify=True)
    np.testing.assert_array_equal(np.bincount(y_te), [6, 6, 6])
    np.testing.assert_array_equal(np.bincount(y_tr), [24, 24, 24])
    with pytest.raises(ValueError, match="X has 90 samples .* y has 89"):
        data.train_test_split(X, y[:89])
    with pytest.raises(ValueError, match="test_size"):
        data.train_test_split(X, y, 1.5)


def test_standardizer_statistics_inverse_and_constant_feature():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(5, 3, 50), np.full(50, 2.0)])
    s = data.Standardizer().fit(X)
    assert s.mean_.shape == s.std_.shape == (2, 1)
    Z = s.transform(X)
    np.testing.assert_allclose(Z[0].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(Z[0].std(), 1)
    np.testing.assert_array_equal(Z[1], 0.0)  # constant feature: 0, not NaN
    np.testing.assert_allclose(s.inverse_transform(Z), X)
    X_te = rng.normal(5, 3, (2, 7))
    Z_tr, Z_te = data.standardize(X, X_te)
    np.testing.assert_allclose(Z_te, (X_te - s.mean_) / s.std_)
    with pytest.raises(ValueError, match="2 rows"):
        s.transform(X.T)
    with pytest.raises(RuntimeError, match="fit"):
        data.Standardizer().transform(X)


# --- labels -----------------------------------------------------------------------------
@given(st.lists(st.integers(0, 6), min_size=1, max_size=40))
@settings(max_examples=40, deadline=None)
def test_one_hot_round_trip(labels):
    y = np.array(labels)
    Y = data.one_hot(y, n_classes=7)
    assert Y.shape == (7, y.size)
    np.testing.assert_array_equal(Y.sum(axis=0), 1.0)
    np.testing.assert_array_equal(Y.argmax(axis=0), y)


def test_one_hot_errors():
    np.testing.assert_array_equal(data.one_hot(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="integer"):
        data.one_hot([0.5, 1])
    with pytest.raises(ValueError, match=">= 0"):
        data.one_hot([0, -1])
    with pytest.raises(ValueError, match="label 3 is out of range for n_classes=3"):
        data.one_hot([0, 3], n_classes=3)
    with pytest.raises(ValueError, match=r"shape \(m,\)"):
        data.one_hot(np.zeros((2, 3), int))


def test_as_targets():
    y = np.array([1, 0, 1])
    np.testing.assert_array_equal(data.as_targets(y, "sigmoid"), [[1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(data.as_targets(y, "softmax"), data.one_hot(y))
    with pytest.raises(ValueError, match="labels 0 or 1"):
        data.as_targets([0, 2], "sigmoid")
    with pytest.raises(ValueError, match="kind"):
        data.as_targets(y, "tanh")


# --- minibatches ------------------------------------------------------------------------
@given(m=st.integers(1, 60), batch_size=st.integers(1, 70), seed=st.integers(0, 10))
@settings(max_examples=60, deadline=None)
def test_minibatches_cover_every_sample_once(m, batch_size, seed):
    X = np.vstack([np.arange(m), -np.arange(m)]).astype(float)
    Y = np.arange(m).reshape(1, m)
    batches = list(data.minibatches(X, Y, batch_size, seed=seed))
    assert len(batches) == -(-m // batch_size)
    sizes = [Xb.shape[1] for Xb, _ in batches]
    assert all(s == batch_size for s in sizes[:-1]) and 1 <= sizes[-1] <= batch_size
    seen = np.concatenate([Yb[0] for _, Yb in batches])
    np.testing.assert_array_equal(np.sort(seen), np.arange(m))
    for Xb, Yb in batches:  # columns of X and Y stay paired
        np.testing.assert_array_equal(Xb[0], Yb[0])


def test_minibatches_shuffle_semantics():
    X = np.arange(12.0).reshape(1, 12)
    first = lambda it: [b[0].tolist() for b, _ in it]  # noqa: E731
    same1 = first(data.minibatches(X, X, 4, seed=5))
    assert same1 == first(data.minibatches(X, X, 4, seed=5))  # an int seed repeats the order
    assert same1 != [list(range(0, 4)), list(range(4, 8)), list(range(8, 12))]
    rng = np.random.default_rng(5)
    assert first(data.minibatches(X, X, 4, seed=rng)) != first(data.minibatches(X, X, 4, seed=rng))
    ordered = first(data.minibatches(X, X, 5, shuffle=False))
    assert ordered == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]
    (full,) = list(data.minibatches(X, X))  # batch_size=None: the whole set, one batch
    assert full[0] is X
    (only_x,) = list(data.minibatches(X, None, 12))
    assert only_x is X


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("labels", [False, True])
def test_minibatches_reuse_buffers_gives_the_same_batches_in_one_array(layout, labels):
    rng = np.random.default_rng(0)
    X = np.asarray(rng.normal(size=(3, 23)), order=layout)
    Y = rng.integers(0, 4, 23) if labels else rng.normal(size=(2, 23))
    fresh = list(data.minibatches(X, Y, 5, seed=7))
    reused = [(Xb.copy(), Yb.copy(), Xb) for Xb, Yb in
              data.minibatches(X, Y, 5, seed=7, reuse_buffers=True)]
    assert [Xb.shape for Xb, _ in fresh] == [Xb.shape for Xb, _, _ in reused]  # ..., (3, 3)
    for (Xb, Yb), (Xr, Yr, _) in zip(fresh, reused):
        np.testing.assert_array_equal(Xr, Xb)
        np.testing.assert_array_equal(Yr, Yb)
    assert all(np.shares_memory(reused[0][2], view) for _, _, view in reused[1:-1])
    assert not np.shares_memory(fresh[0][0], fresh[1][0])  # the default: a new array per batch


def test_minibatches_errors_raise_at_call_time():
    X = np.zeros((2, 10))
    with pytest.raises(ValueError, match="X has 10 samples .* Y has 9"):
        data.minibatches(X, np.zeros((1, 9)), 2)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        data.minibatches(X, np.zeros((1, 10)), 0)
    with pytest.raises(ValueError, match="samples in columns"):
        data.minibatches(np.zeros(10), None, 2)


# --- MNIST from local files -------------------------------------------------------------
def _idx_bytes(arr, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(np.uint8).tobytes()


def _fake_mnist(rng, m):
    images = rng.integers(0, 256, size=(m, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=m, dtype=np.uint8)
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_idx_round_trip(tmp_path, compress):
    rng = np.random.default_rng(0)
    tr_img, tr_lab = _fake_mnist(rng, 5)
    te_img, te_lab = _fake_mnist(rng, 3)
    files = {"train-images-idx3-ubyte": _idx_bytes(tr_img, 2051),
             "train-labels-idx1-ubyte": _idx_bytes(tr_lab, 2049),
             "t10k-images-idx3-ubyte": _idx_bytes(te_img, 2051),
             "t10k-labels-idx1-ubyte": _idx_bytes(te_lab, 2049)}
    for name, raw in files.items():
        if compress:
            with gzip.open(tmp_path / (name + ".gz"), "wb") as fh:
                fh.write(raw)
        else:
            (tmp_path / name).write_bytes(raw)
    (X_tr, y_tr), (X_te, y_te) = data.load_mnist(tmp_path)
    assert X_tr.shape == (784, 5) and X_te.shape == (784, 3) and X_tr.dtype == np.float32
    np.testing.assert_allclose(X_tr[:, 2], tr_img[2].reshape(-1) / 255.0, rtol=1e-6)
    np.testing.assert_allclose(X_te, te_img.reshape(3, -1).T / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y_tr, tr_lab)
    np.testing.assert_array_equal(y_te, te_lab)
    assert y_tr.dtype == np.int64


def test_load_mnist_npz_keras_layout(tmp_path):
    rng = np.random.default_rng(1)
    (a, b), (c, d) = _fake_mnist(rng, 4), _fake_mnist(rng, 2)
    np.savez(tmp_path / "mnist.npz", x_train=a, y_train=b, x_test=c, y_test=d)
    (X_tr, y_tr), (X_te, y_te) = data.load_mnist(tmp_path / "mnist.npz", dtype=np.float64)
    assert X_tr.dtype == np.float64
    np.testing.assert_array_equal(X_tr, a.reshape(4, -1).T / 255.0)
    np.testing.assert_array_equal(y_te, d)
    # a directory holding only mnist.npz works too
    (X2, _), _ = data.load_mnist(tmp_path, dtype=np.float64)
    np.testing.assert_array_equal(X2, X_tr)
    np.savez(tmp_path / "bad.npz", x_train=a)
    with pytest.raises(ValueError, match="missing y_train"):
        data.load_mnist(tmp_path / "bad.npz")


def test_load_mnist_bad_magic_and_truncation(tmp_path):
    img, lab = _fake_mnist(np.random.default_rng(2), 2)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(_idx_bytes(img, 2049))  # label magic
    with pytest.raises(ValueError, match="bad magic number 2049 .* expected 2051"):
        data.read_idx(tmp_path / "train-images-idx3-ubyte", expected_magic=2051)
    (tmp_path / "short").write_bytes(_idx_bytes(img, 2051)[:-10])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "short")
    (tmp_path / "junk").write_bytes(b"\x12\x34\x56\x78")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "junk")
    for name, arr, magic in [("train-labels-idx1-ubyte", lab, 2049),
                             ("t10k-images-idx3-ubyte", img, 2051),
                             ("t10k-labels-idx1-ubyte", lab, 2049)]:
        (tmp_path / name).write_bytes(_idx_bytes(arr, magic))
    with pytest.raises(ValueError, match="expected 2051"):
        data.load_mnist(tmp_path)


def test_load_mnist_missing_files_message(tmp_path):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError) as info:
        data.load_mnist(tmp_path)
    msg = str(info.value)
    assert str(tmp_path) in msg and "Nothing is downloaded" in msg
    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert name in msg.split(": missing ")[1].split("(each")[0]
    assert "train-images-idx3-ubyte," not in msg.split(": missing ")[1].split("(each")[0]
    with pytest.raises(FileNotFoundError, match="mnist.npz"):
        data.load_mnist(tmp_path / "nowhere.npz")
