r"""Data sets and data plumbing, with samples as **columns** everywhere.

Every data set here returns its inputs as ``X`` of shape ``(n_0, m)`` (one column per
sample, the book's :math:`A^{[0]}`) and

- for classification, integer labels ``y`` of shape ``(m,)`` with values ``0, ..., K-1``;
  turn them into the targets a network wants with :func:`as_targets` (or directly:
  ``one_hot(y)`` gives ``(K, m)`` for a softmax output, ``y.reshape(1, -1).astype(float)``
  gives ``(1, m)`` for a sigmoid output);
- for regression, float targets ``Y`` of shape ``(1, m)``.

Everything random takes ``seed`` (an int, or a NumPy ``Generator`` to continue a stream) and
is deterministic: the same seed gives the same numbers on every machine.

Data that comes from a library in row layout (scikit-learn, pandas, ``.npz`` files: one
*row* per sample) is transposed **once**, at the boundary, with :func:`from_rows`; after
that, nothing in the book transposes data again.

Nothing here downloads anything.  :func:`load_digits` reads the small digits set that ships
inside scikit-learn; :func:`load_mnist` reads MNIST from files you put on disk yourself.

The book uses these in the chapters *Why neural networks*, *The perceptron*, *Training neural
networks* and *Gradient descent and its variants*.
"""
from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np

from .backend import get_array_module, to_numpy
from .initializers import as_generator
from ._validation import count as _count
from ._validation import number

__all__ = [
    "xor", "blobs", "moons", "circles", "spirals", "regression_1d", "load_digits",
    "shift_images", "load_mnist", "read_idx", "from_rows", "train_test_split", "Standardizer",
    "standardize", "one_hot", "smooth_labels", "as_targets", "minibatches",
]


# --- helpers ----------------------------------------------------------------------------
def _n_samples(name: str, A) -> int:
    """Number of samples (columns) of a data or target array: last axis of a 1-D or 2-D array."""
    shape = getattr(A, "shape", None)
    if shape is None or len(shape) not in (1, 2):
        raise ValueError(f"{name} must be a 1-D (m,) or 2-D (n, m) array, got shape {shape}")
    return int(shape[-1])


def _shuffle_columns(X, y, rng):
    """Apply one random permutation to the columns of X and the entries of y."""
    order = rng.permutation(X.shape[1])
    return X[:, order], y[order]


# --- toy data sets ----------------------------------------------------------------------
def xor(m: int | None = None, noise: float = 0.1, seed=0):
    r"""The XOR problem: the four corners of the unit square, labelled :math:`x_1 \oplus x_2`.

    .. math:: y = x_1 \oplus x_2: \quad (0,0)\mapsto 0,\ (0,1)\mapsto 1,\ (1,0)\mapsto 1,\ (1,1)\mapsto 0

    With ``m=None`` (default) it returns exactly the four points, in the order of the truth
    table.  With an integer ``m`` it returns a noisy cloud: ``m`` points, each a randomly
    chosen corner plus Gaussian noise of standard deviation ``noise``, labelled by its
    corner.  No straight line separates the classes in either version, which is why a
    single perceptron cannot learn XOR and one hidden layer can.

    Parameters
    ----------
    m : int, optional
        Number of points of the noisy version; ``None`` for the four exact points.
    noise : float
        Standard deviation of the noise of the cloud version (ignored when ``m`` is None).
    seed : int or numpy.random.Generator
        Randomness of the cloud version.

    Returns
    -------
    X : ndarray
        Inputs ``(2, m)`` (``(2, 4)`` by default).
    y : int ndarray
        Labels ``(m,)``.

    Shapes: ``X`` ``(2, m)``, ``y`` ``(m,)``.  Chapters: *Why neural networks*, *The perceptron*.
    """
    if m is None:
        X = np.array([[0.0, 0.0, 1.0, 1.0],
                      [0.0, 1.0, 0.0, 1.0]])
        return X, np.array([0, 1, 1, 0])
    m = _count("m", m)
    noise = number("noise", noise, "xor")
    rng = as_generator(seed)
    corner = rng.integers(0, 4, size=m)
    X = np.stack([corner // 2, corner % 2]).astype(float)
    y = (corner // 2) ^ (corner % 2)
    return X + noise * rng.standard_normal(X.shape), y.astype(np.int64)


def blobs(m: int = 200, centers=2, std: float = 1.0, seed=0, radius: float = 4.0):
    r"""Gaussian blobs: ``m`` points around ``K`` centres, labelled by their centre.

    .. math:: \mathbf x^{(i)} = \boldsymbol\mu_{y^{(i)}} + \sigma\,\boldsymbol\varepsilon^{(i)},
              \qquad \boldsymbol\varepsilon^{(i)} \sim \mathcal N(\mathbf 0, I)

    With an integer ``centers = K`` the centres sit evenly on a circle of radius ``radius``
    in the plane, :math:`\boldsymbol\mu_k = r(\cos\tfrac{2\pi k}{K}, \sin\tfrac{2\pi k}{K})`.
    For ``K = 2`` they are :math:`(\pm r, 0)`, a distance :math:`2r` apart; with the
    defaults (:math:`2r = 8` standard deviations) the two classes are linearly separable
    by the line :math:`x_1 = 0` for every seed in practice (each point would need a
    4-sigma excursion to cross it) — the perceptron chapter's test case.
    The classes are balanced (sizes differ by at most one) and the samples come in random
    order.

    Parameters
    ----------
    m : int
        Number of samples.
    centers : int or array_like ``(n_0, K)``
        Number of centres in the plane, or the centres themselves as columns (any
        dimension ``n_0``).
    std : float
        Standard deviation :math:`\sigma` of every blob.
    seed : int or numpy.random.Generator
    radius : float
        Radius of the circle of centres when ``centers`` is an int.

    Returns
    -------
    X : ndarray
        Inputs ``(n_0, m)``.
    y : int ndarray
        Labels ``(m,)``.

    Shapes: ``X`` ``(n_0, m)`` (``n_0 = 2`` for an int ``centers``), ``y`` ``(m,)``.
    Chapter: *The perceptron*.
    """
    m = _count("m", m)
    std = number("std", std, "blobs")
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        K = _count("centers", centers)
        angle = 2 * np.pi * np.arange(K) / K
        mu = float(radius) * np.stack([np.cos(angle), np.sin(angle)])
    else:
        mu = np.asarray(centers, dtype=float)
        if mu.ndim != 2 or mu.shape[1] < 1:
            raise ValueError(
                f"centers must be an int or an array (n_0, K) with one centre per column, "
                f"got shape {mu.shape}"
            )
        K = mu.shape[1]
    rng = as_generator(seed)
    y = rng.permutation(np.arange(m) % K).astype(np.int64)
    X = mu[:, y] + std * rng.standard_normal((mu.shape[0], m))
    return X, y


def moons(m: int = 200, noise: float = 0.1, seed=0):
    r"""Two interleaving half circles ("moons"): a classic data set no straight line separates.

    .. math:: \text{class 0: } (\cos t, \sin t), \qquad
              \text{class 1: } (1 - \cos t,\ \tfrac12 - \sin t), \qquad t \in [0, \pi]

    plus Gaussian noise of standard deviation ``noise``.  Class 0 gets
    :math:`\lceil m/2 \rceil` points, class 1 :math:`\lfloor m/2 \rfloor`; the samples come
    in random order.

    Shapes: ``X`` ``(2, m)``, ``y`` ``(m,)``.  Chapter: *Why neural networks*.
    """
    m = _count("m", m, minimum=2)
    noise = number("noise", noise, "moons")
    rng = as_generator(seed)
    m0, m1 = m - m // 2, m // 2
    t0, t1 = np.linspace(0, np.pi, m0), np.linspace(0, np.pi, m1)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)]),
                        np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)])], axis=1)
    y = np.concatenate([np.zeros(m0, np.int64), np.ones(m1, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    return _shuffle_columns(X, y, rng)


def circles(m: int = 200, noise: float = 0.05, factor: float = 0.5, seed=0):
    r"""Two concentric circles: class 0 on the unit circle, class 1 on a circle of radius ``factor``.

    .. math:: \text{class 0: } (\cos t, \sin t), \qquad \text{class 1: } f\,(\cos t, \sin t)

    plus Gaussian noise of standard deviation ``noise``.  Separable by a circle but not by
    a line; a network needs a hidden layer (or the feature :math:`x_1^2 + x_2^2`).
    Class 0 gets :math:`\lceil m/2 \rceil` points; the samples come in random order.

    Shapes: ``X`` ``(2, m)``, ``y`` ``(m,)``.  Chapter: *Why neural networks*.
    """
    m = _count("m", m, minimum=2)
    noise = number("noise", noise, "circles")
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    rng = as_generator(seed)
    m0, m1 = m - m // 2, m // 2
    t0 = np.linspace(0, 2 * np.pi, m0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, m1, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)]),
                        factor * np.stack([np.cos(t1), np.sin(t1)])], axis=1)
    y = np.concatenate([np.zeros(m0, np.int64), np.ones(m1, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    return _shuffle_columns(X, y, rng)


def spirals(m: int = 300, classes: int = 3, noise: float = 0.2, seed=0):
    r"""Interleaved spiral arms, one per class (the CS231n toy problem).

    For class :math:`k` and :math:`r` running from 0 to 1 along the arm,

    .. math:: \mathbf x = r\,(\sin t, \cos t), \qquad
              t = 4k + 4r + \sigma\,\varepsilon, \quad \varepsilon \sim \mathcal N(0, 1)

    with :math:`\sigma` = ``noise`` (an angle noise).  Class sizes differ by at most one; the
    samples come in random order.  A linear softmax classifier gets about :math:`1/K` of
    them wrong per arm; a small ReLU network separates them.

    Shapes: ``X`` ``(2, m)``, ``y`` ``(m,)``.  Chapter: *Why neural networks*.
    """
    classes = _count("classes", classes)
    m = _count("m", m, minimum=classes)
    noise = number("noise", noise, "spirals")
    rng = as_generator(seed)
    Xs, ys = [], []
    for k in range(classes):
        n_k = m // classes + (1 if k < m % classes else 0)
        r = np.linspace(0.0, 1.0, n_k)
        t = 4.0 * k + 4.0 * r + noise * rng.standard_normal(n_k)
        Xs.append(r * np.stack([np.sin(t), np.cos(t)]))
        ys.append(np.full(n_k, k, dtype=np.int64))
    return _shuffle_columns(np.concatenate(Xs, axis=1), np.concatenate(ys), rng)


def regression_1d(m: int = 100, noise: float = 0.1, seed=0, f=None, low: float = -np.pi,
                  high: float = np.pi):
    r"""A noisy one-dimensional curve for regression: :math:`y = f(x) + \sigma\varepsilon`.

    .. math:: x^{(i)} \sim U(\text{low}, \text{high}), \qquad
              y^{(i)} = f(x^{(i)}) + \sigma\,\varepsilon^{(i)}, \quad \varepsilon^{(i)} \sim \mathcal N(0, 1)

    ``f`` defaults to :math:`\sin`; it is applied to the ``(1, m)`` row of inputs, so any
    NumPy ufunc or vectorized function works.  The inputs are returned **sorted** (so
    ``plt.plot(X[0], Y[0])`` draws a curve); shuffle them (or use :func:`minibatches`, which
    does) before stochastic training.

    Returns
    -------
    X : ndarray
        Inputs ``(1, m)``.
    Y : ndarray
        Float targets ``(1, m)``.

    Shapes: ``X`` ``(1, m)``, ``Y`` ``(1, m)``.  Chapters: *Training a network end to end*, *Regularization*.
    """
    m = _count("m", m)
    noise = number("noise", noise, "regression_1d")
    if not high > low:
        raise ValueError(f"need low < high, got low={low!r}, high={high!r}")
    f = np.sin if f is None else f
    rng = as_generator(seed)
    X = np.sort(rng.uniform(low, high, size=m)).reshape(1, m)
    clean = np.asarray(f(X), dtype=float)
    if clean.shape != X.shape:
        raise ValueError(f"f must map the (1, m) inputs to (1, m) outputs, got shape {clean.shape}")
    return X, clean + noise * rng.standard_normal(X.shape)


# --- real data sets (local only) --------------------------------------------------------
def load_digits():
    r"""The 8×8 handwritten digits that ship with scikit-learn (1,797 images; no download).

    Each 8×8 image (grey levels 0–16) becomes one column of 64 pixels scaled to
    :math:`[0, 1]` by dividing by 16.

    Returns
    -------
    X : ndarray
        Pixels ``(64, 1797)``, scaled to ``[0, 1]``.
    y : int ndarray
        Digits 0–9, ``(1797,)``.

    Raises
    ------
    ImportError
        scikit-learn is not installed (``pip install scikit-learn``).

    Shapes: ``X`` ``(64, m)``, ``y`` ``(m,)``.  Chapter: *Training a network end to end*.
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as exc:  # pragma: no cover - scikit-learn is in requirements.txt
        raise ImportError(
            "load_digits needs scikit-learn (it reads the copy of the digits data bundled "
            "with it; nothing is downloaded): pip install scikit-learn"
        ) from exc
    bunch = _sk_load_digits()
    return from_rows(bunch.data) / 16.0, bunch.target.astype(np.int64)


def shift_images(X, shift, image_shape=(8, 8)):
    r"""Shift every image (a column of ``X``) by whole pixels, filling the uncovered border with 0.

    With ``shift = (s_r, s_c)`` (rows down, columns right; negative values go up / left), the
    pixel at row :math:`r`, column :math:`c` of the result is

    .. math:: X'_{r,c} = \begin{cases} X_{r - s_r,\, c - s_c} & \text{if that pixel exists} \\
              0 & \text{otherwise} \end{cases}

    Each column holds an image in row-major order (pixel :math:`r\,w + c`), as
    :func:`load_digits` gives it.  Used for data augmentation: the shifted images get the
    labels of the originals.

    Shapes: ``X`` ``(h w, m)`` → ``(h w, m)``.  Chapter: *Regularization*.

    Parameters
    ----------
    X : array ``(h * w, m)``
        Images as columns (NumPy or CuPy; the result is on the same backend).
    shift : (int, int)
        Pixels to move down and right.
    image_shape : (int, int)
        ``(h, w)``, default ``(8, 8)`` (the digits).
    """
    h, w = (_count("image_shape[0]", image_shape[0]), _count("image_shape[1]", image_shape[1]))
    if getattr(X, "ndim", 0) != 2 or X.shape[0] != h * w:
        raise ValueError(f"shift_images: X must be ({h * w}, m), one {h}x{w} image per column, "
                         f"got shape {getattr(X, 'shape', type(X).__name__)}")
    try:
        sr, sc = (int(s) for s in shift)
    except (TypeError, ValueError):
        raise ValueError(f"shift_images: shift must be two integers (rows, columns), "
                         f"got {shift!r}") from None
    if (sr, sc) != tuple(shift):
        raise ValueError(f"shift_images: shift must be two integers, got {shift!r}")
    xp = get_array_module(X)
    images = X.reshape(h, w, X.shape[1])
    out = xp.zeros_like(images)
    if abs(sr) < h and abs(sc) < w:
        out[max(sr, 0):h + min(sr, 0), max(sc, 0):w + min(sc, 0)] = \
            images[max(-sr, 0):h + min(-sr, 0), max(-sc, 0):w + min(-sc, 0)]
    return out.reshape(h * w, X.shape[1])


_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def read_idx(path, expected_magic: int | None = None) -> np.ndarray:
    r"""Read one IDX file (the format of the MNIST distribution), plain or gzip-compressed.

    The header is a big-endian 32-bit *magic number* :math:`256\,c + d` — a type code
    :math:`c` (``0x08`` = unsigned byte) and the number of dimensions :math:`d` — followed
    by :math:`d` big-endian 32-bit sizes, then the data in C order.  MNIST images have magic
    2051 (``0x00000803``: bytes, 3 dimensions ``(m, 28, 28)``), labels 2049
    (``0x00000801``: bytes, 1 dimension ``(m,)``).

    Parameters
    ----------
    path : str or Path
        The file; a name ending in ``.gz`` is decompressed.
    expected_magic : int, optional
        Raise if the file's magic number differs (2051 for images, 2049 for labels).

    Returns
    -------
    ndarray
        With the shape the header gives (rows = samples, as stored).

    Raises
    ------
    ValueError
        Bad magic number, unknown type code, or a file shorter or longer than its header says.
    """
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4:
        raise ValueError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(
            f"{path}: bad magic number {magic} (0x{magic:08x}), expected {expected_magic} "
            f"(0x{expected_magic:08x}): is this the right file, and is it fully downloaded?"
        )
    code, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    if magic >> 16 != 0 or code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(f"{path}: bad magic number {magic} (0x{magic:08x}): not an IDX file")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated header ({len(raw)} bytes, need {header})")
    dims = tuple(int.from_bytes(raw[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[code])
    n_bytes = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != n_bytes:
        raise ValueError(
            f"{path}: header says shape {dims} ({n_bytes} data bytes) but the file holds "
            f"{len(raw) - header} data bytes: truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)


def _mnist_arrays(images, labels, dtype, where):
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim < 2 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{where}: expected images (m, 28, 28) or (m, 784) and labels (m,), got "
            f"{images.shape} and {labels.shape}"
        )
    X = from_rows(images.reshape(images.shape[0], -1)).astype(dtype) / dtype.type(255)
    return X, labels.astype(np.int64)


def load_mnist(path, dtype=np.float32):
    r"""Read MNIST from local files (nothing is downloaded): 60,000 training and 10,000 test digits.

    ``path`` is either

    - a **directory** holding the four IDX files of the original distribution, each plain or
      gzip-compressed (``.gz``): ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
      ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (a ``mnist.npz`` in the
      directory is used if the IDX files are not there); or
    - a single **.npz** file in the Keras layout, with arrays ``x_train`` ``(60000, 28, 28)``,
      ``y_train``, ``x_test``, ``y_test`` (rows = samples; read with ``allow_pickle=False``).

    Each 28×28 image becomes one column of 784 pixels scaled to :math:`[0, 1]`
    (:math:`x = \text{grey}/255`).

    Returns
    -------
    (X_train, y_train), (X_test, y_test) : tuple of two (ndarray, ndarray) pairs
        ``X`` ``(784, m)`` of ``dtype`` (float32 by default: the training set is 188 MB in
        float32, twice that in float64), ``y`` int ``(m,)`` with digits 0–9.

    Raises
    ------
    FileNotFoundError
        The files are not there; the message lists exactly which names to put where.
    ValueError
        A file is corrupt (bad magic number, wrong size) or image and label counts differ.

    Shapes: ``X`` ``(784, m)``, ``y`` ``(m,)``.  Chapters: *Training a network end to end*,
    *Hardware acceleration*.
    """
    dtype = np.dtype(dtype)
    path = Path(os.fspath(path)).expanduser()
    if path.suffix == ".npz" or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(
                f"load_mnist: no file {path}. Put the Keras-layout mnist.npz there (arrays "
                f"x_train, y_train, x_test, y_test), or pass a directory holding the four IDX "
                f"files {', '.join(_MNIST_FILES.values())} (plain or .gz). Nothing is downloaded."
            )
        return _load_mnist_npz(path, dtype)
    found, missing = {}, []
    for key, name in _MNIST_FILES.items():
        for candidate in (path / name, path / (name + ".gz")):
            if candidate.is_file():
                found[key] = candidate
                break
        else:
            missing.append(name)
    if missing:
        if (path / "mnist.npz").is_file():
            return _load_mnist_npz(path / "mnist.npz", dtype)
        raise FileNotFoundError(
            f"load_mnist: MNIST files not found in directory {path}: missing "
            f"{', '.join(missing)} (each may also end in .gz). Put the four IDX files "
            f"{', '.join(_MNIST_FILES.values())} (plain or .gz) in that directory, or a "
            f"Keras-layout mnist.npz (x_train, y_train, x_test, y_test). Nothing is downloaded."
        )
    out = []
    for split in ("train", "test"):
        images = read_idx(found[f"{split}_images"], expected_magic=2051)
        labels = read_idx(found[f"{split}_labels"], expected_magic=2049)
        out.append(_mnist_arrays(images, labels, dtype, f"MNIST {split} files"))
    return tuple(out)


def _load_mnist_npz(path: Path, dtype):
    with np.load(path, allow_pickle=False) as f:
        missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in f.files]
        if missing:
            raise ValueError(
                f"{path}: expected arrays x_train, y_train, x_test, y_test (Keras layout), "
                f"missing {', '.join(missing)}; found {', '.join(f.files) or 'none'}"
            )
        train = _mnist_arrays(f["x_train"], f["y_train"], dtype, f"{path} (train)")
        test = _mnist_arrays(f["x_test"], f["y_test"], dtype, f"{path} (test)")
    return train, test


# --- layout, splitting, scaling ---------------------------------------------------------
def from_rows(X_rows):
    r"""Convert row-layout data (one **row** per sample, as libraries store it) to columns.

    .. math:: X = X_{\text{rows}}^\top

    This is the one transpose at the boundary; the result is a contiguous copy, so later
    column slicing is fast.  A 1-D array of ``m`` numbers becomes one row ``(1, m)`` (a
    single feature, ``m`` samples).

    Shapes: ``(m, n_0)`` → ``(n_0, m)``; ``(m,)`` → ``(1, m)``.
    Chapter: *Forward propagation* (the row layout of the sources).
    """
    xp = get_array_module(X_rows)
    X_rows = xp.asarray(X_rows)
    if X_rows.ndim == 1:
        return X_rows.reshape(1, -1).copy()
    if X_rows.ndim != 2:
        raise ValueError(f"from_rows expects a 2-D (m, n_0) array, got shape {X_rows.shape}")
    return xp.ascontiguousarray(X_rows.T)


def train_test_split(X, y, test_size=0.2, seed=0, stratify: bool = False):
    r"""Split the columns of ``X`` (and of ``y``) at random into a training and a test set.

    Parameters
    ----------
    X : array ``(n_0, m)``
    y : array ``(m,)`` (labels) or ``(n_L, m)`` (targets)
    test_size : float in (0, 1) or int
        Fraction of the samples (rounded up) or number of samples for the test set.
    seed : int or numpy.random.Generator
    stratify : bool
        Keep the class proportions of the integer labels ``y`` ``(m,)`` in both parts
        (each class is split with the same ``test_size`` fraction, rounded; the roundings
        are then adjusted, largest remainders first, so that the test set has exactly the
        size asked for: ``test_size=1`` gives one test sample, never zero).

    Returns
    -------
    X_train, X_test, y_train, y_test : tuple of four ndarray
        The two parts of ``X`` and of ``y``, in this order.

    Shapes: ``X`` ``(n_0, m)`` → ``(n_0, m_train)``, ``(n_0, m_test)``; ``y`` likewise on its
    last axis.  Chapter: *Training a network end to end*.
    """
    m = _n_samples("X", X)
    if getattr(X, "ndim", 0) != 2:
        raise ValueError(f"X must be (n_0, m) with samples in columns, got shape {X.shape}")
    if _n_samples("y", y) != m:
        raise ValueError(
            f"X has {m} samples (columns) but y has {y.shape[-1]} (shape {y.shape}): "
            "are samples in columns?"
        )
    if isinstance(test_size, (float, np.floating)):
        if not 0 < test_size < 1:
            raise ValueError(f"test_size as a fraction must be in (0, 1), got {test_size}")
        frac = float(test_size)
        m_test = math.ceil(frac * m)
    else:
        m_test = _count("test_size", test_size)
        frac = m_test / m
    if not 1 <= m_test < m:
        raise ValueError(f"test_size gives {m_test} test samples out of {m}: need 1 <= m_test < m")
    rng = as_generator(seed)
    if stratify:
        labels = to_numpy(y)
        if labels.ndim != 1:
            raise ValueError(f"stratify=True needs integer labels y of shape (m,), got {labels.shape}")
        classes = np.unique(labels)
        members = [rng.permutation(np.flatnonzero(labels == k)) for k in classes]
        sizes = np.array([idx.size for idx in members])
        counts = np.array([round(frac * n) for n in sizes])  # each class's share of the test set
        # the rounding per class can miss the requested total (test_size=1 or 0.01 would
        # round every class to 0): add or remove samples, largest remainders first, until
        # the test set has exactly m_test samples; a class of several samples keeps one for
        # training as long as the other classes can give instead
        while counts.sum() != m_test:
            rem = frac * sizes - counts
            if counts.sum() < m_test:
                full = counts >= sizes - (sizes > 1)
                rem[full if not full.all() else counts >= sizes] = -np.inf
                counts[int(np.argmax(rem))] += 1
            else:
                rem[counts == 0] = np.inf
                counts[int(np.argmin(rem))] -= 1
        test = [idx[:c] for idx, c in zip(members, counts)]
        test_idx = np.sort(np.concatenate(test))
        mask = np.ones(m, bool)
        mask[test_idx] = False
        train_idx = rng.permutation(np.flatnonzero(mask))
        test_idx = rng.permutation(test_idx)
    else:
        order = rng.permutation(m)
        test_idx, train_idx = order[:m_test], order[m_test:]
    xp = get_array_module(X)
    tr, te = xp.asarray(train_idx), xp.asarray(test_idx)
    return X[:, tr], X[:, te], y[..., tr], y[..., te]


class Standardizer:
    r"""Standardize every feature (row) with the mean and standard deviation of the training set.

    .. math:: \mu = \frac1m \sum_{i=1}^m \mathbf x^{(i)}, \qquad
              \sigma = \sqrt{\frac1m \sum_{i=1}^m (\mathbf x^{(i)} - \mu)^2}, \qquad
              \tilde X = \frac{X - \mu}{\sigma}

    Fit it on the **training** columns only and apply the same :math:`\mu, \sigma` to
    validation and test data (otherwise information leaks from the test set).  A
    constant feature has :math:`\sigma = 0`; its :math:`\sigma` is set to 1 so it becomes 0
    instead of NaN.

    Attributes
    ----------
    mean_, std_ : array
        The statistics from :meth:`fit`, shape ``(n_0, 1)`` (broadcast over the columns).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    >>> Standardizer().fit_transform(X)[0].round(3)
    array([-1.225,  0.   ,  1.225])

    Shapes: ``X`` ``(n_0, m)`` → ``(n_0, m)``.  Chapter: *Training a network end to end*.
    """

    def __init__(self):
        self.mean_ = self.std_ = None

    def fit(self, X):
        """Compute ``mean_`` and ``std_`` over the samples (``axis=1``) of ``X`` ``(n_0, m)``; returns self."""
        xp = get_array_module(X)
        if getattr(X, "ndim", 0) != 2:
            raise ValueError(f"Standardizer.fit: X must be (n_0, m), got shape {getattr(X, 'shape', None)}")
        if not bool(xp.isfinite(X).all()):
            raise ValueError("Standardizer.fit: X contains NaN or infinity")
        if X.shape[1] == 0:
            raise ValueError("Standardizer.fit: X has no samples (shape "
                             f"{X.shape}): the mean of no columns is undefined")
        # Statistics of X / s, scaled back by s: s is a power of 2 near each row's largest
        # |x|, so the result is bit-for-bit the plain one for ordinary data, while data of
        # magnitude 1e200 (whose squares overflow) or 1e-200 (whose squares underflow) get
        # the right mean and standard deviation instead of inf (all outputs 0) or 0.
        amax = xp.abs(X).max(axis=1, keepdims=True)
        s = xp.exp2(xp.floor(xp.log2(xp.where(amax > 0, amax, 1.0))))
        if X.dtype.kind == "f":
            s = s.astype(X.dtype, copy=False)
        Xs = X / s
        self.mean_ = Xs.mean(axis=1, keepdims=True) * s
        std = Xs.std(axis=1, keepdims=True) * s
        self.std_ = xp.where(std > 0, std, 1.0)
        return self

    def _check(self, X, what):
        if self.mean_ is None:
            raise RuntimeError(f"Standardizer.{what}: call fit(X_train) first")
        if getattr(X, "ndim", 0) != 2 or X.shape[0] != self.mean_.shape[0]:
            raise ValueError(
                f"Standardizer.{what}: expected X with {self.mean_.shape[0]} rows (features), "
                f"got shape {getattr(X, 'shape', None)}: are samples in columns?"
            )

    def transform(self, X):
        r""":math:`(X - \mu)/\sigma` with the fitted statistics."""
        self._check(X, "transform")
        return (X - self.mean_) / self.std_

    def inverse_transform(self, X):
        r""":math:`\sigma \tilde X + \mu`: back to the original units."""
        self._check(X, "inverse_transform")
        return X * self.std_ + self.mean_

    def fit_transform(self, X):
        """:meth:`fit` then :meth:`transform` on the same data."""
        return self.fit(X).transform(X)

    def __repr__(self) -> str:
        n = "unfitted" if self.mean_ is None else f"{self.mean_.shape[0]} features"
        return f"Standardizer({n})"


def standardize(X_train, *others):
    r"""Standardize ``X_train`` with its own statistics and ``others`` with the same ones.

    ``X_tr, X_te = standardize(X_tr, X_te)``; with no ``others`` it returns the single
    standardized array.  See :class:`Standardizer` for the formula.

    Shapes: each ``(n_0, m_k)`` → the same shape.  Chapter: *Training a network end to end*.
    """
    s = Standardizer().fit(X_train)
    if not others:
        return s.transform(X_train)
    return (s.transform(X_train),) + tuple(s.transform(X) for X in others)


# --- labels and targets -----------------------------------------------------------------
def _integer_labels(y, name="y"):
    """``y`` as an int64 NumPy vector, checking that every value is a whole number >= 0."""
    y = to_numpy(y)
    if y.ndim == 2 and y.shape[0] == 1:
        y = y[0]
    if y.ndim != 1:
        raise ValueError(f"{name} must be integer labels of shape (m,), got shape {y.shape}")
    if y.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or (y != np.round(y)).any():
            bad = y[~np.isfinite(y) | (y != np.round(y))][0]
            raise ValueError(f"{name} must hold integer class labels 0, 1, ..., got {bad!r}")
    if y.size and y.min() < 0:
        raise ValueError(f"{name} must hold class labels >= 0, got {y.min()!r}")
    return y.astype(np.int64)


_MAX_INFERRED_CLASSES = 65536  # one_hot refuses to infer more classes than this from the labels


def one_hot(y, n_classes: int | None = None, dtype=np.float64):
    r"""One-hot encode integer labels as columns: :math:`Y_{k i} = [\,y^{(i)} = k\,]`.

    Parameters
    ----------
    y : int array ``(m,)``
        Class labels :math:`0, \dots, K-1` (floats holding whole numbers are accepted).
    n_classes : int, optional
        :math:`K`; default ``max(y) + 1``.  Give it when a batch might miss the last class.
        Inferred, it may be at most 65,536 (a label such as ``1e8`` is far more likely a
        mistake than a class, and would allocate gigabytes); give it to go beyond.

    Returns
    -------
    ndarray
        ``(K, m)``, with a single 1 in each column.

    Raises
    ------
    ValueError
        Non-integer or negative labels, or a label :math:`\ge K`.

    Examples
    --------
    >>> one_hot([2, 0, 1])
    array([[0., 1., 0.],
           [0., 0., 1.],
           [1., 0., 0.]])

    Shapes: ``y`` ``(m,)`` → ``(K, m)``.  Chapter: *Loss functions* (softmax outputs).
    """
    y = _integer_labels(y)
    K = int(y.max()) + 1 if n_classes is None and y.size else n_classes
    if n_classes is None and K is not None and K > _MAX_INFERRED_CLASSES:
        raise ValueError(
            f"one_hot: the largest label is {K - 1}, so n_classes would be {K:,} and Y would "
            f"hold {K * y.size:,} numbers: that is more classes than one_hot infers "
            f"({_MAX_INFERRED_CLASSES:,}); check the labels, or pass n_classes=... if you mean it"
        )
    K = _count("n_classes", K)
    if y.size and y.max() >= K:
        raise ValueError(f"label {int(y.max())} is out of range for n_classes={K} (labels 0..{K - 1})")
    Y = np.zeros((K, y.size), dtype=dtype)
    Y[y, np.arange(y.size)] = 1
    return Y


def smooth_labels(Y, epsilon: float):
    r"""Label smoothing :cite:p:`szegedy2016rethinking` of one-hot (or probability) targets.

    .. math:: Y_{\mathrm{LS}} = (1 - \varepsilon)\, Y + \frac{\varepsilon}{K}

    Each column keeps its sum (1 for one-hot targets): the true class gets
    :math:`1 - \varepsilon + \varepsilon/K`, every other class :math:`\varepsilon/K`.

    Shapes: ``Y`` ``(K, m)`` → ``(K, m)``.  Chapter: *Loss functions*.
    """
    if not 0 <= epsilon <= 1:
        raise ValueError(f"smooth_labels: epsilon must be in [0, 1], got {epsilon}")
    xp = get_array_module(Y)
    Y = xp.asarray(Y)
    if Y.ndim != 2:
        raise ValueError(f"smooth_labels: Y must be (K, m) with samples in columns, got shape {Y.shape}")
    return (1.0 - epsilon) * Y + epsilon / Y.shape[0]


def as_targets(y, kind: str, n_classes: int | None = None, dtype=np.float64):
    r"""Turn integer labels ``(m,)`` into the target matrix ``Y`` a network's output expects.

    - ``kind="softmax"`` (or ``"onehot"``): :func:`one_hot`, shape ``(K, m)``;
    - ``kind="sigmoid"`` (or ``"binary"``): labels 0/1 as floats in one row, ``(1, m)``.

    Shapes: ``y`` ``(m,)`` → ``(K, m)`` or ``(1, m)``.  Chapter: *Loss functions*.
    """
    key = str(kind).lower()
    if key in ("softmax", "onehot", "one_hot", "cce"):
        return one_hot(y, n_classes, dtype)
    if key in ("sigmoid", "binary", "bce"):
        y = _integer_labels(y)
        if y.size and y.max() > 1:
            raise ValueError(f"a sigmoid output needs labels 0 or 1, got label {int(y.max())}")
        return y.reshape(1, -1).astype(dtype)
    raise ValueError(f"kind must be 'softmax' or 'sigmoid', got {kind!r}")


# --- minibatches ------------------------------------------------------------------------
def minibatches(X, Y, batch_size: int | None = None, seed=0, shuffle: bool = True,
                reuse_buffers: bool = False):
    r"""Iterate over one epoch of minibatches: column slices ``(X[:, B], Y[:, B])``.

    The columns :math:`1..m` are permuted (when ``shuffle``) and cut into consecutive
    batches :math:`B_1, B_2, \dots` of ``batch_size`` columns; the last batch holds the
    :math:`m \bmod` ``batch_size`` remaining samples if that is not zero, so every sample
    is used exactly once per epoch.

    - ``batch_size=None`` (or ``>= m``): one batch, the whole set, in its original order
      (the order does not change a full-batch gradient) — batch gradient descent;
    - ``batch_size=1``: stochastic gradient descent, one sample per step;
    - ``1 < batch_size < m``: minibatch gradient descent.

    Each call is one epoch.  An int ``seed`` gives the *same* order on every call; to get a
    fresh shuffle every epoch, pass one ``numpy.random.Generator`` and reuse it
    (``rng = np.random.default_rng(0)`` then ``minibatches(X, Y, 32, seed=rng)`` each epoch),
    which is what :func:`nnbook.training.fit` does.

    Parameters
    ----------
    X : array ``(n_0, m)``
    Y : array ``(n_L, m)`` or ``(m,)``, or None (then only ``X`` batches are yielded)
    batch_size : int or None
    seed : int or numpy.random.Generator
    shuffle : bool
        ``False`` keeps the original order (the batches are then views, not copies).
    reuse_buffers : bool
        ``True``: copy every shuffled batch into the same arrays (NumPy only) instead of new
        ones, so each batch is valid only until the next one is drawn.  A training loop that
        is done with a batch before it asks for the next (as :func:`nnbook.training.fit`)
        saves a fresh allocation per step; the batches hold the same numbers either way.

    Yields
    ------
    (X_batch, Y_batch) with ``(n_0, m_b)`` and ``(n_L, m_b)`` (or ``X_batch`` alone if ``Y`` is None)

    Shapes: ``X`` ``(n_0, m)``, ``Y`` ``(n_L, m)`` → batches ``(n_0, m_b)``, ``(n_L, m_b)``.
    Chapter: *Gradient descent and its variants* (batch, stochastic and minibatch gradient
    descent).
    """
    if getattr(X, "ndim", 0) != 2:
        raise ValueError(f"X must be (n_0, m) with samples in columns, got shape {getattr(X, 'shape', None)}")
    m = X.shape[1]
    if Y is not None and _n_samples("Y", Y) != m:
        raise ValueError(
            f"X has {m} samples (columns) but Y has {Y.shape[-1]} (shape {Y.shape}): "
            "both need one column per sample"
        )
    if batch_size is None:
        batch_size = m
    batch_size = _count("batch_size", batch_size)
    # Checked above, when minibatches() is called; the generator below runs when iterated.
    return _epoch(X, Y, m, batch_size, seed, shuffle, reuse_buffers)


def _epoch(X, Y, m, batch_size, seed, shuffle, reuse_buffers=False):
    if batch_size >= m:  # one full batch: the order does not change a full-batch gradient
        yield X if Y is None else (X, Y)
        return
    xp = get_array_module(X)
    order = xp.asarray(as_generator(seed).permutation(m)) if shuffle else None
    if reuse_buffers and order is not None and xp is np:
        yield from _epoch_in_buffers(X, Y, order, batch_size)
        return
    for start in range(0, m, batch_size):
        cols = slice(start, start + batch_size) if order is None else order[start:start + batch_size]
        yield X[:, cols] if Y is None else (X[:, cols], Y[..., cols])


def _epoch_in_buffers(X, Y, order, batch_size):
    """The batches of :func:`_epoch`, each written into the same arrays (``reuse_buffers``).

    A fresh batch array per step costs, besides the copy, the page faults of new memory
    (~25 % more for a batch of 1024 MNIST-sized samples; benchmarks/README.md).  A
    column-major ``X`` is gathered as rows of ``X.T`` (whole samples, each contiguous) into
    a ``(batch_size, n_0)`` array whose transpose is the batch; a row-major array (``Y``)
    column by column into an ``(n_L, batch_size)`` array.
    """
    arrays = [X] if Y is None else [X, Y]
    by_rows = [A.ndim == 2 and A.flags.f_contiguous and not A.flags.c_contiguous for A in arrays]
    buffers = [np.empty((batch_size, A.shape[0]) if r else A.shape[:-1] + (batch_size,), A.dtype)
               for A, r in zip(arrays, by_rows)]
    for start in range(0, len(order), batch_size):
        cols = order[start:start + batch_size]
        if len(cols) < batch_size:  # the last, smaller batch: new arrays
            batch = [A[..., cols] for A in arrays]
        else:  # mode="clip" (the indices are valid anyway) lets take() write to out directly
            batch = [np.take(A.T, cols, axis=0, out=buf, mode="clip").T if r
                     else np.take(A, cols, axis=-1, out=buf, mode="clip")
                     for A, buf, r in zip(arrays, buffers, by_rows)]
        yield batch[0] if Y is None else tuple(batch)
