"""A CPU stand-in for CuPy: device arrays that are not NumPy arrays, so host/device mix-ups fail.

The test suite runs every ``gpu``-marked test twice: against real CuPy where a CUDA GPU is
usable, and always against this module, installed as ``nnbook``'s GPU module with
:func:`nnbook.backend.use_gpu_module`.  It behaves like CuPy where a mistake would show:

- :class:`ndarray` is its own type wrapping a NumPy array; ``np.asarray(x)`` (and anything
  else that calls ``__array__``) raises ``TypeError`` as ``cupy.ndarray.__array__`` does;
- combining a device array with a NumPy array (``x + np_array``, ``xp.exp(np_array)``,
  ``x[...] = np_array``) raises ``TypeError``: CuPy refuses implicit host-to-device copies;
  Python and NumPy *scalars* are fine, as in CuPy;
- reductions (``x.sum()``, ``xp.max(x)``) return 0-d device arrays, never Python floats;
- ``.get()``, :func:`asnumpy`, ``float(x)``, ``bool(x)``, ``int(x)``, ``x.item()``,
  ``x.tolist()`` and formatting copy to the host, and :func:`asarray` / :func:`array` of host
  data copies to the device: each such copy is counted in :data:`transfers`;
- :mod:`random` is *not* NumPy's generator: a draw on the device gives other numbers than the
  same seed on the host, so "same seed, same numbers on every backend" breaks if the package
  draws on the device;
- NumPy functions and ufuncs called on device arrays (``np.exp(x)``, ``np.sum(x)``) dispatch
  to the device, as CuPy's ``__array_ufunc__`` / ``__array_function__`` make them do, and
  return device arrays;
- ``errstate``, ``seterr`` and friends do not exist (CuPy has none): code that needs them
  must branch on the array module.

Everything else (the arithmetic itself) is NumPy's, so results match the CPU bit for bit.
"""
from __future__ import annotations

import contextlib
import numbers
from collections import Counter

import numpy as np

__all__ = ["ndarray", "asarray", "array", "asnumpy", "is_available", "get_array_module",
           "transfers", "count_transfers", "random"]

#: Copies between host and device since the last reset: ``transfers["to_host"]`` (``.get()``,
#: ``float(x)``, ...) and ``transfers["to_device"]`` (``asarray`` of host data, ...), with
#: ``transfers["to_host:float"]`` etc. for the kind.
transfers: Counter = Counter()

# NumPy names CuPy does not have: using them on the device path is a bug there.
_MISSING = {"errstate", "seterr", "geterr", "seterrcall", "geterrcall", "set_printoptions",
            "get_printoptions", "printoptions", "save", "savez", "savez_compressed", "load",
            "loadtxt", "savetxt", "genfromtxt", "frombuffer", "fromfile", "memmap"}


def _count(direction: str, kind: str) -> None:
    transfers[direction] += 1
    transfers[f"{direction}:{kind}"] += 1


@contextlib.contextmanager
def count_transfers():
    """Reset :data:`transfers`, run the block, and leave the counts in :data:`transfers`."""
    transfers.clear()
    yield transfers


def _mixed(value, where: str):
    return TypeError(
        f"Unsupported type {type(value)} in {where}: a NumPy array cannot be combined with a "
        "device array (CuPy refuses implicit host-to-device copies; use xp.asarray)"
    )


def _unwrap(value, where: str):
    """The NumPy array inside a device array; scalars pass; host arrays and lists are refused."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, np.ndarray):
        raise _mixed(value, where)
    if isinstance(value, (list, tuple)):
        raise TypeError(f"Unsupported type {type(value)} in {where}: CuPy does not accept "
                        "sequences where an array is expected (use xp.asarray)")
    return value  # Python or NumPy scalars, None, dtypes, slices, ...


def _unwrap_index(key):
    # Indices may be device arrays, slices, ints, Ellipsis, None; a host index array is
    # copied to the device (CuPy accepts it), which counts as a transfer.
    if isinstance(key, tuple):
        return tuple(_unwrap_index(k) for k in key)
    if isinstance(key, ndarray):
        return key._a
    if isinstance(key, (np.ndarray, list)):
        _count("to_device", "index")
        return np.asarray(key)
    return key


def _wrap(result):
    if isinstance(result, np.ndarray):
        return ndarray(result)
    if isinstance(result, np.generic):  # CuPy reductions give 0-d device arrays
        return ndarray(np.asarray(result))
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if isinstance(result, list):
        return [_wrap(r) for r in result]
    return result


class ndarray(np.lib.mixins.NDArrayOperatorsMixin):
    """A device array: a NumPy array that refuses to meet the host implicitly."""

    __slots__ = ("_a",)
    __array_priority__ = 100

    def __init__(self, a: np.ndarray):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"cupy_standin.ndarray wraps a NumPy array, got {type(a)}")
        self._a = a

    # -- NumPy's protocols: dispatch to the device, refuse implicit host copies --------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        where = f"{ufunc.__name__}"
        args = [_unwrap(x, where) for x in inputs]
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o, where) if isinstance(o, ndarray) else _bad_out(o)
                                  for o in out)
        if "where" in kwargs:
            kwargs["where"] = _unwrap(kwargs["where"], where)
        result = getattr(ufunc, method)(*args, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        name = func.__name__
        if name in _MISSING:
            raise AttributeError(f"CuPy has no {name!r}: this code must not run it on device arrays")
        mod = globals().get(name)
        if callable(mod) and getattr(mod, "_standin", False):
            return mod(*args, **kwargs)
        return _call_numpy(func, args, kwargs)

    # -- host copies (counted) -------------------------------------------------------------
    def get(self, stream=None, order="C", out=None) -> np.ndarray:
        _count("to_host", "get")
        return self._a.copy()

    def item(self):
        _count("to_host", "item")
        return self._a.item()

    def tolist(self):
        _count("to_host", "tolist")
        return self._a.tolist()

    def _scalar(self, kind):
        if self._a.size != 1:
            raise TypeError(f"only size-1 device arrays can be converted to Python scalars "
                            f"(got shape {self._a.shape})")
        _count("to_host", kind)
        return self._a.reshape(())[()]

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        if self._a.ndim != 0 or not np.issubdtype(self._a.dtype, np.integer):
            raise TypeError("only integer scalar device arrays can be used as an index")
        return int(self._scalar("index"))

    def __bool__(self):
        return bool(self._scalar("bool"))

    def __complex__(self):
        return complex(self._scalar("complex"))

    def __format__(self, spec):
        if self._a.ndim == 0:
            return format(self._scalar("format"), spec)
        return format(str(self), spec)

    def __repr__(self):
        return "array(" + np.array2string(self._a, separator=", ", prefix="array(") + ")"

    def __str__(self):
        return str(self._a)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __len__(self):
        return len(self._a)

    # -- attributes ------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))
    real = property(lambda self: ndarray(self._a.real))
    imag = property(lambda self: ndarray(self._a.imag))

    @property
    def device(self):
        return "stand-in device 0"

    @shape.setter
    def shape(self, value):  # pragma: no cover - mirrors numpy
        self._a.shape = value

    # -- indexing --------------------------------------------------------------------------
    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_index(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap_index(key)] = _unwrap(value, "__setitem__")

    # -- methods: the NumPy method on the inner array, results kept on the device ----------
    def _method(name):
        def method(self, *args, **kwargs):
            args = [_unwrap(a, name) if not isinstance(a, (tuple, list)) else a for a in args]
            kwargs = {k: (_unwrap(v, name) if isinstance(v, (ndarray, np.ndarray)) else v)
                      for k, v in kwargs.items()}
            if "out" in kwargs and not isinstance(kwargs["out"], np.ndarray):
                pass
            return _wrap(getattr(self._a, name)(*args, **kwargs))
        method.__name__ = name
        return method

    for _name in ("sum", "mean", "max", "min", "argmax", "argmin", "std", "var", "prod", "all",
                  "any", "astype", "copy", "ravel", "flatten", "reshape", "transpose", "squeeze",
                  "clip", "dot", "cumsum", "nonzero", "round", "take", "repeat", "swapaxes",
                  "view", "conj", "sort", "argsort"):
        locals()[_name] = _method(_name)
    del _name, _method

    def fill(self, value):
        self._a.fill(_unwrap(value, "fill"))

    def set(self, arr, stream=None):
        """Copy a host array into this device array (CuPy's explicit host-to-device copy)."""
        _count("to_device", "set")
        self._a[...] = np.asarray(arr)

    def __copy__(self):
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._a.copy())

    def __reduce__(self):
        raise TypeError("pickling a device array would copy it to the host implicitly; "
                        "use .get() first")


def _bad_out(o):
    raise _mixed(o, "out=")


def _call_numpy(func, args, kwargs):
    name = getattr(func, "__name__", "function")
    args = [_unwrap_nested(a, name) for a in args]
    kwargs = {k: _unwrap_nested(v, name) for k, v in kwargs.items()}
    return _wrap(func(*args, **kwargs))


def _unwrap_nested(value, where):
    # concatenate/stack take sequences of arrays: unwrap their device members
    if isinstance(value, (list, tuple)) and any(isinstance(v, (ndarray, np.ndarray)) for v in value):
        return type(value)(_unwrap(v, where) for v in value)
    if isinstance(value, (list, tuple)):
        return value
    return _unwrap(value, where)


def _standin(f):
    f._standin = True
    return f


# -- moving data ---------------------------------------------------------------------------
@_standin
def asarray(a, dtype=None, order=None):
    """To the device: a device array stays (cast if asked); host data is copied (counted)."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == np.dtype(dtype) else ndarray(a._a.astype(dtype))
    _count("to_device", "asarray")
    return ndarray(np.array(a, dtype=dtype, order=order or "K", copy=True))


@_standin
def array(a, dtype=None, copy=True, order="K", ndmin=0):
    if isinstance(a, ndarray):
        return ndarray(np.array(a._a, dtype=dtype, copy=True, order=order, ndmin=ndmin))
    _count("to_device", "array")
    return ndarray(np.array(a, dtype=dtype, copy=True, order=order, ndmin=ndmin))


@_standin
def asnumpy(a, stream=None, order="C", out=None):
    """To the host: a copy of a device array (counted); host data passes through."""
    if isinstance(a, ndarray):
        return a.get()
    return np.asarray(a)


def is_available() -> bool:
    return True


def get_array_module(*args):
    import sys

    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else np


# -- random numbers: a generator of its own, deliberately not NumPy's ----------------------
class _Random:
    """``cupy.random``: its own bit stream, so the same seed gives other numbers than NumPy."""

    def __init__(self):
        self._gen = np.random.Generator(np.random.Philox(0xC0FFEE))

    def seed(self, seed=None):
        self._gen = np.random.Generator(np.random.Philox(0xC0FFEE ^ (0 if seed is None else int(seed))))

    def default_rng(self, seed=None):
        return _DeviceGenerator(np.random.Generator(np.random.Philox(0xC0FFEE ^ int(seed or 0))))

    def __getattr__(self, name):
        f = getattr(self._gen, name)
        return lambda *a, **k: _wrap(np.asarray(f(*a, **k)))


class _DeviceGenerator:
    def __init__(self, gen):
        self._gen = gen

    def __getattr__(self, name):
        f = getattr(self._gen, name)
        return lambda *a, **k: _wrap(np.asarray(f(*a, **k)))


random = _Random()


# -- every other name: NumPy's function, refusing host arrays, results on the device -------
_CREATION = {"empty", "zeros", "ones", "full", "arange", "linspace", "eye", "identity",
             "logspace"}


def __getattr__(name):
    if name in _MISSING or name.startswith("_"):
        raise AttributeError(f"module 'cupy_standin' (CuPy) has no attribute {name!r}")
    obj = getattr(np, name)
    if isinstance(obj, type) or not callable(obj):
        return obj  # dtypes (float32, ...), constants (pi, inf, newaxis)
    if isinstance(obj, np.ufunc):
        def ufunc(*args, **kwargs):
            if not any(isinstance(a, ndarray) for a in args) and all(
                    isinstance(a, numbers.Number) for a in args):
                return _wrap(np.asarray(obj(*args, **kwargs)))
            out = kwargs.get("out")
            args = [_unwrap(a, name) for a in args]
            if out is not None:
                outs = out if isinstance(out, tuple) else (out,)
                kwargs["out"] = tuple(o._a if isinstance(o, ndarray) else _bad_out(o) for o in outs)
                obj(*args, **kwargs)
                return out
            return _wrap(obj(*args, **kwargs))
        ufunc.__name__ = name
        return ufunc
    if name in _CREATION or name.endswith("_like"):
        def create(*args, **kwargs):
            return _call_numpy(obj, args, kwargs)
        create.__name__ = name
        return create

    def function(*args, **kwargs):
        return _call_numpy(obj, args, kwargs)
    function.__name__ = name
    return function
