r"""Saving and loading networks as plain ``.npz`` files (never pickle).

A saved network is a NumPy ``.npz`` archive holding

- one array per parameter, named as in the book: ``W1, b1, W2, b2, ..., WL, bL``
  (:math:`W^{[l]}` of shape ``(n_l, n_{l-1})``, :math:`b^{[l]}` of shape ``(n_l, 1)``); and
- for batch-normalized layers, ``gammal, betal`` in place of ``bl``, and the running
  statistics ``running_meanl, running_varl`` (each ``(n_l, 1)``); and
- the architecture as a JSON string in a 0-d unicode array named ``"nnbook_meta"``: layer
  sizes, activations, loss (and its options), dtype, leaky-ReLU slope, dropout, batch norm.

Loading always uses ``np.load(..., allow_pickle=False)``: a ``.npz`` then contains only
numbers and text, and opening a file from someone else cannot run code (a pickle can).
Any program that reads ``.npz`` files can read the weights.

The book uses this in the chapter *Training a network end to end*.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile
from functools import partial
from pathlib import Path

import numpy as np

from .backend import to_device, to_numpy
from .network import Network
from ._validation import float_dtype as _float_dtype

__all__ = ["save_network", "load_network", "load_parameters", "read_metadata", "META_KEY"]

META_KEY = "nnbook_meta"
_FORMAT = "nnbook.Network"
_VERSION = 1


def _keywords(f) -> dict:
    """The keyword arguments bound into a ``functools.partial`` (``{}`` otherwise)."""
    return dict(f.keywords) if isinstance(f, partial) else {}


# --- reading a file defensively -----------------------------------------------------------
# Everything read from a file is checked before it is used: a corrupt, foreign or crafted
# file gives one ValueError naming the file and what is wrong, never a JSONDecodeError,
# KeyError or EOFError from inside, and nothing is allocated from its metadata before the
# metadata has been checked against the arrays actually stored (and against these limits).
_MAX_LAYERS = 10_000          # layers a saved network may have
_MAX_UNITS = 100_000_000      # units a layer may have
_META_MAX_CHARS = 1_000_000   # length of the JSON metadata


class _BadFile(ValueError):
    """Internal: a problem with a file's content (turned into a ValueError naming the file)."""


def _bad(path, what: str):
    return ValueError(f"{os.fspath(path)}: not a network file nnbook can read: {what}")


@contextlib.contextmanager
def _open(path):
    """``np.load(path, allow_pickle=False)`` as an NpzFile; any failure to read is one clear ValueError."""
    with open(os.fspath(path), "rb") as fh:  # FileNotFoundError etc. stay as they are
        start = fh.read(6)
    if start.startswith(b"\x93NUMPY"):
        raise _bad(path, "it is a single .npy array, not an .npz archive written by save_network")
    if not start.startswith(b"PK"):  # not a zip archive: never hand it to np.load
        what = ("it is a pickle, which nnbook never loads: a pickle can run code when it is "
                "opened") if start[:1] == b"\x80" else \
            f"it is not a NumPy .npz archive (it starts with {start!r}, not a zip header)"
        raise _bad(path, what)
    try:
        f = np.load(os.fspath(path), allow_pickle=False)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except ValueError as exc:
        if "pickle" in str(exc):
            raise _bad(path, "it is a pickle (or holds Python objects), which nnbook never "
                             "loads: a pickle can run code when it is opened") from None
        raise _bad(path, f"it is not a NumPy .npz archive ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise _bad(path, f"it is not a readable NumPy .npz archive (truncated or corrupt: "
                         f"{type(exc).__name__}: {exc})") from None
    if not isinstance(f, np.lib.npyio.NpzFile):
        raise _bad(path, f"it is a single .npy array of shape {getattr(f, 'shape', None)}, not an "
                         ".npz archive written by save_network")
    try:
        with f:
            yield f
    except _BadFile as exc:
        raise _bad(path, str(exc)) from None


def _read_array(f, name: str):
    """``f[name]``, with a corrupt member turned into a _BadFile."""
    try:
        return f[name]
    except ValueError as exc:
        if "pickle" in str(exc):
            raise _BadFile(f"array {name!r} holds Python objects (pickle), which nnbook never "
                           "loads") from None
        raise _BadFile(f"array {name!r} cannot be read ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise _BadFile(f"array {name!r} cannot be read (truncated or corrupt: "
                       f"{type(exc).__name__}: {exc})") from None


def _array_header(f, name: str):
    """``(shape, dtype)`` of a stored array, read from its header without loading its data."""
    try:
        with f.zip.open(name + ".npy") as fp:
            version = np.lib.format.read_magic(fp)
            read = {(1, 0): np.lib.format.read_array_header_1_0,
                    (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read is None:  # a rarer format version: read the (checked) array itself
                arr = _read_array(f, name)
                return arr.shape, arr.dtype
            shape, _, dtype = read(fp)
        size = f.zip.getinfo(name + ".npy").file_size
    except _BadFile:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure here means a corrupt member
        raise _BadFile(f"the header of array {name!r} cannot be read "
                       f"({type(exc).__name__}: {exc})") from None
    if dtype.hasobject:
        raise _BadFile(f"array {name!r} holds Python objects (pickle), which nnbook never loads")
    if math.prod(shape) * dtype.itemsize > size:
        raise _BadFile(f"array {name!r} claims shape {shape} but the file holds only {size} "
                       "bytes for it")
    return tuple(shape), dtype


def _parse_metadata(f):
    """The JSON metadata of an open NpzFile as a dict (or None); a malformed one is a _BadFile."""
    if META_KEY not in f.files:
        return None
    raw = _read_array(f, META_KEY)
    if raw.shape != () or raw.dtype.kind != "U":
        raise _BadFile(f"{META_KEY!r} must be a text (0-d unicode array), got dtype {raw.dtype} "
                       f"and shape {raw.shape}")
    text = str(raw[()])
    if len(text) > _META_MAX_CHARS:
        raise _BadFile(f"{META_KEY!r} is {len(text):,} characters long, more than a network's "
                       f"description needs ({_META_MAX_CHARS:,})")
    try:
        meta = json.loads(text)
    except ValueError as exc:
        raise _BadFile(f"{META_KEY!r} is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise _BadFile(f"{META_KEY!r} must be a JSON object, got {type(meta).__name__}")
    return meta


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _expected_arrays(meta) -> dict:
    """Check the metadata's fields and return ``{array name: shape}`` they imply (a _BadFile if bad)."""
    from .activations import ACTIVATION_NAMES
    from .losses import LOSS_NAMES
    if meta.get("format") != _FORMAT:
        raise _BadFile(f"{META_KEY} describes {meta.get('format')!r}, not {_FORMAT!r}")
    sizes = meta.get("sizes")
    if not (isinstance(sizes, list) and 2 <= len(sizes) <= _MAX_LAYERS + 1
            and all(_is_int(n) and 1 <= n <= _MAX_UNITS for n in sizes)):
        raise _BadFile(f"'sizes' must be a list of 2 to {_MAX_LAYERS + 1} integers in "
                       f"[1, {_MAX_UNITS:,}], got {str(sizes)[:200]}")
    L = len(sizes) - 1
    acts = meta.get("activations")
    if not (isinstance(acts, list) and len(acts) == L and all(a in ACTIVATION_NAMES for a in acts)):
        raise _BadFile(f"'activations' must list {L} known activation names (one per layer), "
                       f"got {str(acts)[:200]}")
    if meta.get("loss") not in LOSS_NAMES:
        raise _BadFile(f"'loss' must be one of {', '.join(LOSS_NAMES)}, got {str(meta.get('loss'))[:80]}")
    if not isinstance(meta.get("loss_kwargs") or {}, dict):
        raise _BadFile(f"'loss_kwargs' must be an object, got {str(meta.get('loss_kwargs'))[:80]}")
    if meta.get("dtype") not in ("float32", "float64"):
        raise _BadFile(f"'dtype' must be 'float32' or 'float64', got {str(meta.get('dtype'))[:80]}")
    if not _is_real(meta.get("alpha", 0.01)):
        raise _BadFile(f"'alpha' must be a finite number, got {str(meta.get('alpha'))[:80]}")
    for key in ("dropout", "batchnorm"):
        v = meta.get(key, [])
        kind = _is_real if key == "dropout" else (lambda b: isinstance(b, bool))
        if not (isinstance(v, list) and len(v) in (0, L - 1) and all(kind(x) for x in v)):
            raise _BadFile(f"{key!r} must be a list of {L - 1} "
                           f"{'numbers' if key == 'dropout' else 'booleans'} (one per hidden "
                           f"layer), got {str(v)[:200]}")
    bn = meta.get("batchnorm") or [False] * (L - 1)
    expected = {}
    for l in range(1, L + 1):
        n, n_prev = sizes[l], sizes[l - 1]
        expected[f"W{l}"] = (n, n_prev)
        names = ("gamma", "beta", "running_mean", "running_var") if l < L and bn[l - 1] else ("b",)
        expected.update({f"{name}{l}": (n, 1) for name in names})
    n_params = meta.get("n_params")
    total = sum(math.prod(s) for k, s in expected.items() if not k.startswith("running_"))
    if n_params is not None and n_params != total:
        raise _BadFile(f"'n_params' is {str(n_params)[:40]} but the sizes {sizes} give {total:,}")
    return expected


def _check_arrays(f, expected: dict) -> None:
    """Every expected array is stored, with its shape and a numeric dtype; no others (headers only)."""
    stored = set(f.files) - {META_KEY}
    missing = [k for k in expected if k not in stored]
    if missing:
        raise _BadFile(f"the metadata describes arrays {', '.join(missing[:10])} that the file "
                       f"does not hold (it holds {', '.join(sorted(stored)[:20]) or 'none'})")
    extra = sorted(stored - set(expected))
    if extra:
        raise _BadFile(f"it holds arrays {', '.join(extra[:10])} that the metadata does not describe")
    for name, shape in expected.items():
        got, dtype = _array_header(f, name)
        if got != shape:
            raise _BadFile(f"array {name!r} has shape {got} but the metadata's sizes give {shape}")
        if dtype.kind not in "fiu":
            raise _BadFile(f"array {name!r} has dtype {dtype}, not a number type")


def _check_saveable(net) -> None:
    """Refuse, before writing, a network that :func:`load_network` could not rebuild."""
    from . import activations as act
    from . import losses
    alphas = set()
    for l, layer in enumerate(net.layers, start=1):
        g = layer.g
        base = g.forward.func if isinstance(g.forward, partial) else g.forward
        kw = _keywords(g.forward)
        builtin = g.name in act.ACTIVATION_NAMES and base is getattr(act, g.name, None)
        if not builtin or (g.name == "step" and kw.get("at_zero", 0.5) != 0.5):
            raise ValueError(
                f"save_network: layer {l} has a custom activation {g.name!r}, which a file cannot "
                "hold (only its name would be saved, and load_network could not rebuild it). "
                "Save the weights alone, e.g. np.savez(path, **{n: nb.to_numpy(p) for n, p, _ in "
                "net.named_parameters()}), and load them into a network built with the same "
                "activation with nb.io.load_parameters(net, path)"
            )
        if g.name == "leaky_relu":
            alphas.add(kw.get("alpha", 0.01))
    if len(alphas) > 1:
        raise ValueError(f"save_network: the leaky-ReLU layers have different slopes "
                         f"{sorted(alphas)}; a file stores one alpha for all of them")
    lf = net.loss_fn
    base = lf.value.func if isinstance(lf.value, partial) else lf.value
    if lf.name not in losses.LOSS_NAMES or base is not getattr(losses, lf.name, None):
        raise ValueError(f"save_network: the network has a custom loss {lf.name!r}, which a file "
                         "cannot hold; save the weights alone (see load_parameters)")


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
        "batchnorm": [getattr(layer, "bn", None) is not None for layer in net.layers[:-1]],
        "bn_momentum": next((layer.bn.momentum for layer in net.layers
                             if getattr(layer, "bn", None) is not None), 0.9),
        "bn_eps": next((layer.bn.eps for layer in net.layers
                        if getattr(layer, "bn", None) is not None), 1e-5),
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
    Chapter: *Training a network end to end*.
    """
    _check_saveable(net)
    try:
        meta_text = json.dumps(_metadata(net))
    except TypeError as exc:
        raise ValueError(f"save_network: the network's settings cannot be written as JSON "
                         f"({exc}); loss_kwargs must be plain numbers, strings or bools") from None
    path = Path(os.fspath(path))
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    arrays = {name: to_numpy(p) for name, p, _ in net.named_parameters()}
    arrays.update({name: to_numpy(b) for name, b in net.named_buffers()})
    arrays[META_KEY] = np.array(meta_text)
    np.savez(path, **arrays)
    return path


def read_metadata(path) -> dict | None:
    """The architecture stored in a saved network (a dict), or ``None`` if the file has none.

    A file that is not an ``.npz`` archive, or whose metadata is not valid JSON, raises a
    ``ValueError`` naming the file.
    """
    with _open(path) as f:
        return _parse_metadata(f)


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
        The file is not an ``.npz`` archive (a pickle, a ``.npy``, a truncated or foreign
        file), has no ``nnbook_meta`` entry (build the network yourself and call
        :func:`load_parameters`), its metadata is malformed, or its arrays do not match it.
        The message names the file and what is wrong.  Everything is checked (the arrays
        by their headers) before the network is built, so a crafted file cannot make it
        allocate more than the file holds.

    Shapes: as saved.  Chapter: *Training a network end to end*.
    """
    with _open(path) as f:  # check everything before allocating anything
        meta = _parse_metadata(f)
        if meta is None:
            raise ValueError(
                f"{path} has no architecture metadata ({META_KEY!r}): it holds weights only. "
                "Build the Network with the right sizes and activations and call "
                "load_parameters(net, path)."
            )
        _check_arrays(f, _expected_arrays(meta))
    if dtype is not None:
        dtype = _float_dtype(dtype, "load_network")
    kwargs = dict(activations=meta["activations"], loss=meta["loss"],
                  loss_kwargs=meta.get("loss_kwargs") or None, alpha=meta.get("alpha", 0.01),
                  dtype=dtype or meta["dtype"], device=device)
    if any(meta.get("dropout", [])):
        kwargs.update(dropout=meta["dropout"], dropout_mode=meta.get("dropout_mode", "inverted"))
    if any(meta.get("batchnorm", [])):
        kwargs.update(batchnorm=meta["batchnorm"], bn_momentum=meta.get("bn_momentum", 0.9),
                      bn_eps=meta.get("bn_eps", 1e-5))
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
    Chapter: *Training a network end to end*.
    """
    with _open(path) as f:
        meta = _parse_metadata(f)
        if meta is not None:
            mine = _metadata(net)
            for key in ("sizes", "activations", "batchnorm"):
                if meta.get(key, mine[key] if key == "batchnorm" else None) != mine[key]:
                    raise ValueError(
                        f"architecture mismatch loading {path}: the file's network has "
                        f"{key} {meta.get(key)}, this network has {mine[key]}"
                    )
        slots = [(name, p) for name, p, _ in net.named_parameters()] + net.named_buffers()
        names = [name for name, _ in slots]
        extra = sorted(set(f.files) - set(names) - {META_KEY})
        if extra:
            raise ValueError(
                f"{path} holds arrays {', '.join(extra)} that this {net.L}-layer network does "
                f"not have (it has {', '.join(names)})"
            )
        new = {}
        for name, p in slots:
            if name not in f.files:
                raise ValueError(f"{path} has no array {name!r} (found: {', '.join(f.files)})")
            arr = _read_array(f, name)
            if arr.dtype.kind not in "fiu":
                raise ValueError(f"{path}: array {name!r} has dtype {arr.dtype}, not a number type")
            if arr.shape != tuple(p.shape):
                hint = ": transposed?" if arr.shape == tuple(p.shape)[::-1] else ""
                raise ValueError(
                    f"{name}: expected shape {tuple(p.shape)}, got {arr.shape} in {path}{hint}"
                )
            new[name] = arr
    for name, p in slots:
        p[...] = to_device(new[name], net.device, net.dtype)
    return net
