#!/usr/bin/env python
"""Seconds per epoch of one MLP trained with nnbook, PyTorch (CPU) and scikit-learn.

    python benchmarks/bench_mlp.py                 # full run (a few minutes on 2 cores)
    python benchmarks/bench_mlp.py --quick         # smaller data, a smoke test
    python benchmarks/bench_mlp.py --epochs 5 --threads 2 --batch-sizes 128

The same network is trained by each library on the same MNIST-shaped synthetic data
(60,000 samples x 784 features, float32): 784-128-64-10, ReLU, softmax with cross-entropy,
Adam (lr 1e-3), minibatches of 128 and 1024, reshuffled every epoch.  Every library gets
the same number of threads (OMP/OPENBLAS/MKL variables are set before NumPy is imported,
and ``torch.set_num_threads``).  Each timing is the median over ``--epochs`` epochs after
one warm-up epoch, measured with ``time.perf_counter``; the libraries' epochs are
interleaved (round r runs epoch r of each in turn), so load from elsewhere hits all alike.

The "matmul floor" is the time the same epoch spends in its matrix products alone: for
every minibatch the 8 products of this design (forward W A for 3 layers, backward
dZ A^T for 3 layers and W^T dZ for the 2 upper layers) with the same shapes and dtype,
into preallocated outputs, timed with NumPy.  No implementation of this design can beat it.

A second part times one training step of a small network on scikit-learn's digits
(1,797 x 64, 64-32-10, batch 128), where per-step overhead, not arithmetic, dominates.

PyTorch is optional (see benchmarks/README.md for how to install it in a separate
environment); scikit-learn too.  This is a script that prints figures, not a test.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time


def _parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=3,
                   help="timed epochs per library and batch size (median reported; default 3)")
    p.add_argument("--quick", action="store_true",
                   help="10,000 samples and 2 timed epochs: a fast smoke test")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for every library (default: os.cpu_count())")
    p.add_argument("--batch-sizes", default="128,1024", help="comma-separated (default 128,1024)")
    p.add_argument("--samples", type=int, default=None, help="training samples (default 60000)")
    p.add_argument("--only", default="nnbook,torch,sklearn,floor,digits",
                   help="comma-separated subset of nnbook,torch,sklearn,floor,digits")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, metavar="PATH", help="also write the figures to PATH")
    return p.parse_args(argv)


ARGS = _parse_args() if __name__ == "__main__" else _parse_args([])
THREADS = ARGS.threads or os.cpu_count() or 1
# Thread counts must be fixed before NumPy (and its BLAS) or PyTorch is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = str(THREADS)

import numpy as np  # noqa: E402

import nnbook as nb  # noqa: E402

SIZES = [784, 128, 64, 10]
LR = 1e-3


# --- helpers --------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def time_epochs(runs: dict, epochs: int) -> dict:
    """Time ``epochs`` epochs of every runner, interleaved, after one warm-up epoch each.

    ``runs`` maps a name to a function that trains one epoch (and may return the epoch's
    own duration, when the call also does set-up work that is not part of the epoch).
    Round ``r`` runs epoch ``r`` of every library in turn, so a burst of load from
    elsewhere on the machine hits them all alike.  Returns ``{name: [seconds, ...]}``.
    """
    for run in runs.values():
        run()                                       # warm-up: not timed
    times = {name: [] for name in runs}
    for _ in range(epochs):
        for name, run in runs.items():
            t0 = time.perf_counter()
            own = run()                             # a runner may time its epoch itself
            times[name].append(own if own is not None else time.perf_counter() - t0)
    return times


def make_data(n: int, n_in: int, n_out: int, seed: int):
    """MNIST-shaped synthetic data: pixels in [0, 1), labels from a random linear 'teacher'.

    Returns ``X_rows`` ``(n, n_in)`` float32 (row layout, as the other libraries take it)
    and integer labels ``(n,)``.  The labels are a learnable function of the inputs, so the
    accuracies printed after training say that every library really trained.
    """
    rng = np.random.default_rng(seed)
    X_rows = rng.random((n, n_in), dtype=np.float32)
    W = rng.normal(size=(n_in, n_out)).astype(np.float32)
    scores = (X_rows - 0.5) @ W
    labels = (scores - scores.mean(axis=0)).argmax(axis=1)
    return X_rows, labels


def has(module: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(module) is not None


# --- nnbook -------------------------------------------------------------------------------
def nnbook_trainer(sizes, X_rows, labels, batch_size, seed):
    """One epoch of nnbook's real training loop, :func:`nnbook.training.fit`, and an accuracy.

    The data goes in as the book does it: ``X = nb.data.from_rows(X_rows)``, one-hot ``Y``.
    ``fit`` checks and lays out the data once per call, before its first epoch (a user calls
    it once for many epochs); to time the epoch alone, the ``schedule`` hook, which ``fit``
    calls at the start of every epoch, records when the epoch starts.
    """
    from nnbook.optimizers import Adam
    from nnbook.training import fit

    X = nb.data.from_rows(X_rows)                                  # (n_0, m), samples in columns
    Y = nb.data.one_hot(labels, sizes[-1], dtype=np.float32)       # (n_L, m)
    net = nb.Network(sizes, hidden="relu", loss="cce", dtype=np.float32, seed=seed)
    opt = Adam(lr=LR)
    rng = np.random.default_rng(seed)
    starts = []

    def lr_at_epoch_start(epoch):
        starts.append(time.perf_counter())
        return LR

    def run_epoch():
        starts.clear()
        fit(net, X, Y, epochs=1, batch_size=batch_size, optimizer=opt, seed=rng,
            schedule=lr_at_epoch_start)
        return time.perf_counter() - starts[0]

    def accuracy(k=10000):
        return float((net.forward(X[:, :k]).argmax(axis=0) == labels[:k]).mean())

    return run_epoch, accuracy


# --- PyTorch ------------------------------------------------------------------------------
def torch_trainer(sizes, X_rows, labels, batch_size, seed):
    """The same MLP in PyTorch on the CPU, the loop an experienced user writes (no DataLoader)."""
    import torch
    from torch import nn

    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    layers = []
    for n_prev, n in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(n_prev, n), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(sizes[-2], sizes[-1]))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    Xt = torch.from_numpy(X_rows)
    yt = torch.from_numpy(labels.astype(np.int64))
    g = torch.Generator().manual_seed(seed)
    n = Xt.shape[0]

    def run_epoch():
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb, yb = Xt[idx], yt[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()

    def accuracy(k=10000):
        with torch.no_grad():
            return float((model(Xt[:k]).argmax(dim=1) == yt[:k]).float().mean())

    return run_epoch, accuracy


# --- scikit-learn -------------------------------------------------------------------------
def sklearn_trainer(sizes, X_rows, labels, batch_size, seed):
    """scikit-learn's MLPClassifier, one ``partial_fit`` (= one epoch of Adam) per call."""
    import warnings

    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), activation="relu", solver="adam",
                        alpha=0.0, batch_size=batch_size, learning_rate_init=LR, shuffle=True,
                        early_stopping=False, random_state=seed)
    classes = np.arange(sizes[-1])

    def run_epoch():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.partial_fit(X_rows, labels, classes=classes)

    def accuracy(k=10000):
        return float((clf.predict(X_rows[:k]) == labels[:k]).mean())

    return run_epoch, accuracy


# --- the matrix-product floor -------------------------------------------------------------
def matmul_floor_epoch(sizes, X_rows, batch_size, dtype=np.float32):
    """One epoch of exactly the matrix products of this design, nothing else.

    Per minibatch (samples in columns, as nnbook): forward ``Z = W @ A_prev`` for every layer,
    backward ``dW = dZ @ A_prev.T`` for every layer and ``dA_prev = W.T @ dZ`` for all but the
    first, written into preallocated arrays.  The batches are contiguous column blocks of the
    data (as a shuffled copy would be).
    """
    n = X_rows.shape[0]
    L = len(sizes) - 1
    rng = np.random.default_rng(0)
    W = [rng.standard_normal((sizes[l + 1], sizes[l])).astype(dtype) * 0.05 for l in range(L)]
    starts = list(range(0, n, batch_size))

    def buffers(m):
        A = [None] + [np.ones((sizes[l + 1], m), dtype) for l in range(L)]
        dZ = [np.ones((sizes[l + 1], m), dtype) * 1e-3 for l in range(L)]
        dA = [np.empty((sizes[l], m), dtype) for l in range(L)]
        dW = [np.empty_like(w) for w in W]
        return A, dZ, dA, dW

    bufs = {m: buffers(m) for m in {min(batch_size, n - s) for s in starts}}

    def run_epoch():
        for s in starts:
            Xb = X_rows[s:s + batch_size].T          # (n_0, m) view, contiguous (F-order)
            A, dZ, dA, dW = bufs[Xb.shape[1]]
            A[0] = Xb
            for l in range(L):
                np.matmul(W[l], A[l], out=A[l + 1])                 # Z = W A_prev
            for l in range(L - 1, -1, -1):
                np.matmul(dZ[l], A[l].T, out=dW[l])                 # dW = dZ A_prev^T
                if l > 0:
                    np.matmul(W[l].T, dZ[l], out=dA[l])             # dA_prev = W^T dZ

    return run_epoch


# --- main ---------------------------------------------------------------------------------
def versions() -> str:
    out = [f"Python {platform.python_version()}", f"NumPy {np.__version__}",
           f"nnbook {nb.__version__}"]
    if has("torch"):
        import torch
        out.append(f"PyTorch {torch.__version__}")
    if has("sklearn"):
        import sklearn
        out.append(f"scikit-learn {sklearn.__version__}")
    return ", ".join(out)


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
        return "; ".join(f"{d['internal_api']} {d.get('version') or ''} x{d['num_threads']}"
                         for d in threadpool_info())
    except ImportError:
        return "(threadpoolctl not installed)"


def main():
    args = ARGS
    only = set(args.only.split(","))
    n = args.samples or (10_000 if args.quick else 60_000)
    epochs = 2 if args.quick and args.epochs == 3 else args.epochs
    batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b]
    libs = []
    if "nnbook" in only:
        libs.append(("nnbook", nnbook_trainer))
    if "torch" in only:
        if has("torch"):
            libs.append(("PyTorch", torch_trainer))
        else:
            print("PyTorch not importable: skipped (see benchmarks/README.md to install it)")
    if "sklearn" in only:
        if has("sklearn"):
            libs.append(("scikit-learn", sklearn_trainer))
        else:
            print("scikit-learn not importable: skipped")

    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; threads per library: {THREADS}")
    print(versions())
    print(f"BLAS/OpenMP: {blas_info()}")
    print(f"data: {n} x {SIZES[0]} float32, network {'-'.join(map(str, SIZES))}, ReLU, "
          f"softmax + cross-entropy, Adam lr={LR}; median of {epochs} epochs after 1 warm-up")
    X_rows, labels = make_data(n, SIZES[0], SIZES[-1], args.seed)
    results = {}
    for bs in batch_sizes:
        steps = -(-n // bs)
        print(f"\nbatch {bs} ({steps} steps per epoch)")
        runs, accuracies = {}, {}
        for name, trainer in libs:
            runs[name], accuracies[name] = trainer(SIZES, X_rows, labels, bs, args.seed)
        if "floor" in only:
            runs["matmul floor"] = matmul_floor_epoch(SIZES, X_rows, bs)
        times = time_epochs(runs, epochs)
        row = {name: statistics.median(ts) for name, ts in times.items()}
        for name, ts in times.items():
            acc = (f"; train accuracy after {epochs + 1} epochs {accuracies[name]():.3f}"
                   if name in accuracies else "")
            print(f"  {name:<13} {row[name]:8.3f} s/epoch {1e6 * row[name] / steps:8.0f} us/step"
                  f"   (min {min(ts):.3f}; epochs {', '.join(f'{x:.3f}' for x in ts)}{acc})")
        results[bs] = row
        if "nnbook" in row:
            ratios = [f"nnbook / {k} = {row['nnbook'] / row[k]:.2f}" for k in row if k != "nnbook"]
            if ratios:
                print("  ratios of medians: " + "; ".join(ratios))
        del runs, accuracies

    digits = None
    if "digits" in only and has("sklearn"):
        digits = digits_part(epochs=max(epochs, 20), libs=libs, seed=args.seed)
    report_targets(results, digits)
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump({"cpu": cpu_model(), "threads": THREADS, "samples": n, "epochs": epochs,
                       "versions": versions(), "seconds_per_epoch": results,
                       "digits_us_per_step": digits}, f, indent=1)
    return results


# (batch size, compared with, largest allowed ratio nnbook / that)
TARGETS = [(128, "PyTorch", 0.5), (128, "scikit-learn", 0.5), (1024, "matmul floor", 1.4)]
DIGITS_TARGET_US = 150.0


def report_targets(results, digits):
    """Print each performance target of benchmarks/README.md with the measured ratio."""
    lines = []
    for bs, other, limit in TARGETS:
        row = results.get(bs, {})
        if "nnbook" in row and other in row:
            r = row["nnbook"] / row[other]
            lines.append(f"  batch {bs}: nnbook / {other} = {r:.2f} (target <= {limit}): "
                         f"{'met' if r <= limit else 'NOT met'}")
    if digits and "nnbook" in digits:
        us = digits["nnbook"]
        lines.append(f"  digits 64-32-10, batch 128: nnbook {us:.0f} us/step "
                     f"(target <= {DIGITS_TARGET_US:.0f}): "
                     f"{'met' if us <= DIGITS_TARGET_US else 'NOT met'}")
    if lines:
        print("\ntargets (medians):")
        print("\n".join(lines))


def digits_part(epochs, libs, seed, batch_size=128):
    """Per-step time of a small network on scikit-learn's digits (overhead-bound)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    X_rows = (d.data / 16.0).astype(np.float32)
    labels = d.target.astype(np.int64)
    sizes = [64, 32, 10]
    n = X_rows.shape[0]
    steps = -(-n // batch_size)
    print(f"\ndigits: {n} x 64, network 64-32-10, batch {batch_size} ({steps} steps per epoch), "
          f"median of {epochs} epochs")
    runs, accuracies = {}, {}
    for name, trainer in libs:
        runs[name], accuracies[name] = trainer(sizes, X_rows, labels, batch_size, seed)
    times = time_epochs(runs, epochs)
    out = {}
    for name, ts in times.items():
        out[name] = 1e6 * statistics.median(ts) / steps
        print(f"  {name:<13} {out[name]:8.1f} us/step   (min {1e6 * min(ts) / steps:.1f}; "
              f"train accuracy {accuracies[name](n):.3f})")
    return out


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)
