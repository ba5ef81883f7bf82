#!/usr/bin/env python
"""Seconds per epoch of one MLP on a GPU: nnbook on CuPy vs PyTorch CUDA (eager).

    python benchmarks/bench_gpu.py                  # batch sizes 128, 1024, 4096
    python benchmarks/bench_gpu.py --quick          # 10,000 samples, 2 timed epochs
    python benchmarks/bench_gpu.py --standin        # no GPU: run nnbook's part on the test
                                                    # suite's CPU stand-in for CuPy (checks
                                                    # the script, times nothing meaningful)

The network, data and optimizer are those of ``bench_mlp.py`` (784-128-64-10, ReLU, softmax
with cross-entropy, Adam lr 1e-3, MNIST-shaped synthetic data, float32, reshuffled every
epoch), here with minibatches of 128, 1024 and 4096.  Both libraries get the data on the
device before timing starts (nnbook: ``cupy.asarray``; PyTorch: ``.cuda()``), so an epoch
moves no training data between host and device.  Each epoch is timed from a device
synchronisation to a device synchronisation (``cupy.cuda.Device().synchronize()``,
``torch.cuda.synchronize()``), after one warm-up epoch, as the median over ``--epochs``
epochs, the two libraries interleaved.  PyTorch runs eagerly (no ``torch.compile``, no CUDA
graphs), the loop an experienced user writes: ``nn.Sequential``, ``CrossEntropyLoss``,
``torch.optim.Adam`` (its default, the multi-tensor "foreach" implementation), a
``randperm`` on the device and tensor indexing per batch.

Without a usable GPU (and without ``--standin``) it prints why and exits with status 0.
The target (issue 13): nnbook on CuPy within 1.2x of PyTorch CUDA eager at batch 4096.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mlp import LR, SIZES, make_data  # noqa: E402  (same network, rate and data)

import numpy as np  # noqa: E402

import nnbook as nb  # noqa: E402


def _parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=5, help="timed epochs (median; default 5)")
    p.add_argument("--quick", action="store_true", help="10,000 samples, 2 timed epochs")
    p.add_argument("--batch-sizes", default="128,1024,4096")
    p.add_argument("--samples", type=int, default=None, help="training samples (default 60000)")
    p.add_argument("--only", default="nnbook,torch", help="subset of nnbook,torch")
    p.add_argument("--standin", action="store_true",
                   help="no GPU needed: nnbook's part on tests/cupy_standin.py (a smoke test)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, metavar="PATH", help="also write the figures to PATH")
    return p.parse_args(argv)


def device_module(standin: bool):
    """The CuPy module (or the CPU stand-in) and a synchronize() function; None if no GPU."""
    if standin:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        import cupy_standin

        nb.backend.use_gpu_module(cupy_standin)
        return cupy_standin, (lambda: None)
    if not nb.gpu_available():
        return None, None
    cp = nb.backend.cupy_or_none()
    return cp, (lambda: cp.cuda.Device().synchronize())


def nnbook_gpu_trainer(cp, sync, X_rows, labels, batch_size, seed):
    from nnbook.optimizers import Adam
    from nnbook.training import fit

    X = cp.asarray(nb.data.from_rows(X_rows))                          # on the device, once
    Y = cp.asarray(nb.data.one_hot(labels, SIZES[-1], dtype=np.float32))
    net = nb.Network(SIZES, hidden="relu", loss="cce", dtype=np.float32, seed=seed, device="gpu")
    opt = Adam(lr=LR)
    rng = np.random.default_rng(seed)

    def run_epoch():
        fit(net, X, Y, epochs=1, batch_size=batch_size, optimizer=opt, seed=rng)

    def accuracy(k=10000):
        return float((net.forward(X[:, :k]).argmax(axis=0) == cp.asarray(labels[:k])).mean())

    return run_epoch, accuracy


def torch_gpu_trainer(X_rows, labels, batch_size, seed):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    dev = torch.device("cuda")
    layers = []
    for n_prev, n in zip(SIZES[:-2], SIZES[1:-1]):
        layers += [nn.Linear(n_prev, n), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(SIZES[-2], SIZES[-1])).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    Xt = torch.from_numpy(X_rows).to(dev)
    yt = torch.from_numpy(labels.astype(np.int64)).to(dev)
    g = torch.Generator(device=dev).manual_seed(seed)
    n = Xt.shape[0]

    def run_epoch():
        perm = torch.randperm(n, generator=g, device=dev)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()

    def accuracy(k=10000):
        with torch.no_grad():
            return float((model(Xt[:k]).argmax(dim=1) == yt[:k]).float().mean())

    return run_epoch, accuracy, torch.cuda.synchronize


def time_synchronized(runs: dict, epochs: int) -> dict:
    """Median seconds per epoch, each epoch between two device synchronisations, interleaved."""
    for run, sync in runs.values():
        run()
        sync()                                       # warm-up (kernels compiled, pools filled)
    times = {name: [] for name in runs}
    for _ in range(epochs):
        for name, (run, sync) in runs.items():
            sync()
            t0 = time.perf_counter()
            run()
            sync()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def versions(cp) -> dict:
    out = {"python": sys.version.split()[0], "numpy": np.__version__, "nnbook": nb.__version__,
           "cupy": getattr(cp, "__version__", cp.__name__)}
    try:
        out["device"] = cp.cuda.runtime.getDeviceProperties(0)["name"].decode()
        out["cuda_runtime"] = cp.cuda.runtime.runtimeGetVersion()
    except Exception:
        out["device"] = "CPU stand-in for CuPy (timings meaningless)"
    try:
        import torch
        out["torch"] = torch.__version__
    except ImportError:
        pass
    return out


def main(argv=None) -> int:
    args = _parse_args(argv)
    cp, sync = device_module(args.standin)
    if cp is None:
        print("bench_gpu: no usable CUDA GPU here (CuPy missing or cupy.is_available() is "
              "False): nothing to measure. Run it on a machine with a GPU, or with --standin "
              "to check the script on the CPU.")
        return 0
    n = args.samples or (10_000 if args.quick else 60_000)
    epochs = 2 if args.quick else args.epochs
    only = set(args.only.split(","))
    use_torch = "torch" in only and not args.standin
    if use_torch:
        try:
            import torch
            use_torch = torch.cuda.is_available()
        except ImportError:
            use_torch = False
        if not use_torch:
            print("PyTorch with CUDA is not available: nnbook only")
    X_rows, labels = make_data(n, SIZES[0], SIZES[-1], args.seed)
    info = versions(cp)
    print("bench_gpu:", ", ".join(f"{k} {v}" for k, v in info.items()))
    print(f"{n} samples, {'-'.join(map(str, SIZES))}, float32, Adam lr {LR}, "
          f"median of {epochs} epochs\n")
    results = {"versions": info, "samples": n, "epochs": epochs, "batches": {}}
    print(f"{'batch':>6} {'nnbook s/epoch':>15} {'torch s/epoch':>14} {'nnbook/torch':>13} "
          f"{'acc nnbook':>11} {'acc torch':>10}")
    for b in [int(s) for s in args.batch_sizes.split(",")]:
        runs, accs = {}, {}
        if "nnbook" in only:
            run, acc = nnbook_gpu_trainer(cp, sync, X_rows, labels, b, args.seed)
            runs["nnbook"], accs["nnbook"] = (run, sync), acc
        if use_torch:
            run, acc, tsync = torch_gpu_trainer(X_rows, labels, b, args.seed)
            runs["torch"], accs["torch"] = (run, tsync), acc
        t = time_synchronized(runs, epochs)
        a = {k: f() for k, f in accs.items()}
        ratio = t["nnbook"] / t["torch"] if {"nnbook", "torch"} <= set(t) else float("nan")
        print(f"{b:>6} {t.get('nnbook', float('nan')):>15.4f} {t.get('torch', float('nan')):>14.4f} "
              f"{ratio:>13.2f} {a.get('nnbook', float('nan')):>11.3f} {a.get('torch', float('nan')):>10.3f}")
        results["batches"][b] = {"seconds": t, "accuracy": a, "ratio": ratio}
    big = results["batches"].get(4096)
    if big and np.isfinite(big["ratio"]):
        verdict = "meets" if big["ratio"] <= 1.2 else "misses"
        print(f"\nbatch 4096: nnbook/torch = {big['ratio']:.2f} ({verdict} the 1.2x target)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
