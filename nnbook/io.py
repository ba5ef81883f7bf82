r"""Saving and loading networks as plain ``.npz`` files (never pickle).

A saved network is a NumPy ``.npz`` archive holding

- one array per parameter, named as in the book: ``W1, b1, W2, b2, ..., WL, bL``
  (:math:`W^{[l]}` of shape ``(n_l, n_{l-1})``, :math:`b^{[l]}` of shape ``(n_l, 1)``); and
- the architecture as a JSON string in a 0-d unicode array named ``"nnbook_meta"``: layer
  sizes, activations, loss (and its options), dtype, leaky-ReLU slope, dropout.

Loading always uses ``np.load(..., allow_pickle=False)``: a ``.npz`` then contains only
numbers and text, and opening a file from someone else cannot run code (a pickle can).
Any program that reads ``.npz`` files can read the weights.

The book uses this in the chapter *Training neural networks*.
"""
from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

import numpy as np

from .backend import to_device, to_numpy
from .network import Network

__all__ = ["save_network", "load_network", "load_parameters", "read_metadata", "META_KEY"]

META_KEY = "nnbook_meta"
_FORMAT = "nnbook.Network"
_VERSION = 1


def _keywords(f) -> dict:
    """The keyword arguments bound into a ``functools.partial`` (``{}`` otherwise)."""
    return dict(f.keywords) if isinstance(f, partial) else {}


def _metadata(net) -> dict:
    activations = [layer.g.name for layer in net.layers]
    alpha = next((_keywords(layer.g.forward).get("alpha") for layer in net.layers
                  if layer.g.name == "leaky_relu"), 0.01)
    return {
        "format": _FORMAT, "version": _VERSION,
        "sizes": [int(n) for n in net.sizes],
        "activations": activations,
        "loss": net.loss_fn.name,
        "loss_kwargs": _keywords(net.loss_fn.value),
        "dtype": str(np.dtype(net.dtype)),
        "alpha": float(alpha),
        # dropout changes the test-time output in the "classic" mode, so it is architecture
        "dropout": [float(getattr(layer, "dropout", 0.0)) for layer in net.layers[:-1]],
        "dropout_mode": getattr(net.layers[0], "dropout_mode", "inverted"),
        "n_params": int(net.n_params),
    }


def save_network(net, path) -> Path:
    r"""Write a network's parameters and architecture to an ``.npz`` file.

    The arrays are ``W1, b1, ..., WL, bL`` (copied to the host first, so a network on the
    GPU is saved the same way) and ``nnbook_meta`` (the architecture as JSON).  ``.npz``
    is appended to ``path`` if it has another suffix.

    Parameters
    ----------
    net : nnbook.Network
    path : str or Path

    Returns
    -------
    Path
        The file written.

    Shapes: each :math:`W^{[l]}` ``(n_l, n_{l-1})``, :math:`b^{[l]}` ``(n_l, 1)``, as in the network.
    Chapter: *Training neural networks*.
    """
    path = Path(os.fspath(path))
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    arrays = {name: to_numpy(p) for name, p, _ in net.named_parameters()}
    arrays[META_KEY] = np.array(json.dumps(_metadata(net)))
    np.savez(path, **arrays)
    return path


def read_metadata(path) -> dict | None:
    """The architecture stored in a saved network (a dict), or ``None`` if the file has none."""
    with np.load(os.fspath(path), allow_pickle=False) as f:
        if META_KEY not in f.files:
            return None
        return json.loads(str(f[META_KEY][()]))


def load_network(path, device: str = "cpu", dtype=None):
    r"""Rebuild a :class:`~nnbook.network.Network` from a file written by :func:`save_network`.

    Parameters
    ----------
    path : str or Path
    device : {"cpu", "gpu"}
        Where the rebuilt network lives.
    dtype : numpy dtype, optional
        Default: the dtype it was saved with.

    Raises
    ------
    ValueError
        The file has no ``nnbook_meta`` entry (build the network yourself and call
        :func:`load_parameters`), or its arrays do not match the stored architecture.

    Shapes: as saved.  Chapter: *Training neural networks*.
    """
    meta = read_metadata(path)
    if meta is None:
        raise ValueError(
            f"{path} has no architecture metadata ({META_KEY!r}): it holds weights only. "
            "Build the Network with the right sizes and activations and call "
            "load_parameters(net, path)."
        )
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{path}: {META_KEY} describes {meta.get('format')!r}, not {_FORMAT!r}")
    kwargs = dict(activations=meta["activations"], loss=meta["loss"],
                  loss_kwargs=meta.get("loss_kwargs") or None, alpha=meta.get("alpha", 0.01),
                  dtype=dtype or meta["dtype"], device=device)
    if any(meta.get("dropout", [])):
        kwargs.update(dropout=meta["dropout"], dropout_mode=meta.get("dropout_mode", "inverted"))
    net = Network(meta["sizes"], **kwargs)
    return load_parameters(net, path)


def load_parameters(net, path):
    r"""Load ``W1, b1, ...`` from an ``.npz`` file into an existing network, in place.

    Every check is made before anything is copied, so a failed load leaves the network as
    it was.  When the file carries architecture metadata, its sizes and activations must
    match the network's; in any case every array must be present with the network's shape.

    Returns
    -------
    Network
        The same network, for chaining.

    Raises
    ------
    ValueError
        An architecture mismatch, a missing or extra array, or a shape mismatch; the
        message names the array, the expected and the found shape.

    Shapes: each :math:`W^{[l]}` ``(n_l, n_{l-1})``, :math:`b^{[l]}` ``(n_l, 1)``.
    Chapter: *Training neural networks*.
    """
    with np.load(os.fspath(path), allow_pickle=False) as f:
        meta = json.loads(str(f[META_KEY][()])) if META_KEY in f.files else None
        if meta is not None:
            mine = _metadata(net)
            for key in ("sizes", "activations"):
                if meta.get(key) != mine[key]:
                    raise ValueError(
                        f"architecture mismatch loading {path}: the file's network has "
                        f"{key} {meta.get(key)}, this network has {mine[key]}"
                    )
        names = [name for name, _, _ in net.named_parameters()]
        extra = sorted(set(f.files) - set(names) - {META_KEY})
        if extra:
            raise ValueError(
                f"{path} holds arrays {', '.join(extra)} that this {net.L}-layer network does "
                f"not have (it has {', '.join(names)})"
            )
        new = {}
        for name, p, _ in net.named_parameters():
            if name not in f.files:
                raise ValueError(f"{path} has no array {name!r} (found: {', '.join(f.files)})")
            arr = f[name]
            if arr.shape != tuple(p.shape):
                hint = ": transposed?" if arr.shape == tuple(p.shape)[::-1] else ""
                raise ValueError(
                    f"{name}: expected shape {tuple(p.shape)}, got {arr.shape} in {path}{hint}"
                )
            new[name] = arr
    for name, p, _ in net.named_parameters():
        p[...] = to_device(new[name], net.device, net.dtype)
    return net
