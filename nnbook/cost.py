r"""Exact costs of training a dense network: arithmetic per layer and per step, and memory.

Everything here is a *count* that follows from the layer sizes
:math:`n_0, n_1, \dots, n_L`, the batch size :math:`m` and the size :math:`s` of one number
(8 bytes in float64, 4 in float32); nothing is measured, so the numbers are the same on every
machine.

**Arithmetic.** A product of an :math:`(a \times b)` and a :math:`(b \times c)` matrix does
:math:`abc` multiply-adds, counted as :math:`2abc` floating-point operations (flops), the
convention of BLAS benchmarks.  One training step of :class:`~nnbook.network.Network` does,
in layer :math:`l`,

.. math::

   \underbrace{W^{[l]} A^{[l-1]}}_{\text{forward}},\quad
   \underbrace{dZ^{[l]} A^{[l-1]\top}}_{dW^{[l]}},\quad
   \underbrace{W^{[l]\top} dZ^{[l]}}_{dA^{[l-1]},\ l > 1},\quad
   \underbrace{dZ^{[l]} \mathbf 1}_{db^{[l]}}

that is :math:`2 n_l n_{l-1} m` flops for each of the first three (the first layer needs no
:math:`dA^{[0]}`) and :math:`2 n_l m` for the last, which ``nnbook`` computes as a product
with a column of ones.  Bias additions, activations and their derivatives, the loss and the
optimizer's update are entrywise work, :math:`O(m \sum_l n_l)` and :math:`O(P)`, not counted
in these flops.

**Memory.** A training step keeps the parameters (:math:`P` numbers), their gradients
(:math:`P`), the optimizer's state (:math:`kP`, with :math:`k` = 0 for SGD, 1 for momentum,
Nesterov, AdaGrad and RMSProp, 2 for Adam), one scratch array of :math:`P` numbers that
``nnbook``'s optimizers use for their update, the activations cached by the forward pass
(:math:`(n_0 + 2\sum_l n_l) m` numbers) and the error terms :math:`dZ^{[l]}` that every
``Dense`` layer keeps after the backward pass (:math:`m \sum_l n_l`).

The book teaches this in the chapter *Hardware acceleration*.
"""
from __future__ import annotations

import numpy as np

__all__ = ["matmul_flops", "layer_flops", "step_flops", "optimizer_state_arrays",
           "training_memory"]

# Number of state arrays of the size of the parameters that each optimizer keeps.
_STATE_ARRAYS = {"sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1, "adam": 2}


def _positive(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _sizes(sizes) -> list[int]:
    """``[n_0, ..., n_L]`` from a list of sizes or from a Network (its ``sizes``)."""
    sizes = list(getattr(sizes, "sizes", sizes))
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
    return [_positive(f"sizes[{i}]", n) for i, n in enumerate(sizes)]


def matmul_flops(a: int, b: int, c: int) -> int:
    r"""Flops of the product of an ``(a, b)`` and a ``(b, c)`` matrix: :math:`2abc`.

    .. math:: \text{flops} = 2\,a\,b\,c

    Each of the :math:`ac` entries of the result is a sum of :math:`b` products; each
    multiply-add counts as two flops (strictly, :math:`abc` multiplications and
    :math:`a(b-1)c` additions).

    Shapes: ``(a, b) @ (b, c) -> (a, c)``; returns an int.
    Chapter: *Hardware acceleration*.
    """
    return 2 * _positive("a", a) * _positive("b", b) * _positive("c", c)


def layer_flops(sizes, m: int) -> list[dict]:
    r"""Flops of the matrix products of one training step, layer by layer.

    .. math::

       \text{forward}_l = \text{dW}_l = 2 n_l n_{l-1} m, \qquad
       \text{dA\_prev}_l = \begin{cases} 2 n_l n_{l-1} m & l > 1 \\ 0 & l = 1 \end{cases},
       \qquad \text{db}_l = 2 n_l m

    Shapes: ``sizes`` is ``[n_0, ..., n_L]`` (or a :class:`~nnbook.network.Network`), ``m``
    the batch size; returns a list of ``L`` dicts with keys ``"layer"`` (1-based),
    ``"forward"`` (:math:`W A_{\text{prev}}`), ``"dW"`` (:math:`dZ A_{\text{prev}}^\top`),
    ``"dA_prev"`` (:math:`W^\top dZ`), ``"db"`` (:math:`dZ \mathbf 1`) and ``"backward"``
    (the sum of the last three).
    Chapter: *Hardware acceleration*.
    """
    sizes, m = _sizes(sizes), _positive("m", m)
    out = []
    for l, (n_prev, n) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        fwd = matmul_flops(n, n_prev, m)                       # W A_prev
        dW = matmul_flops(n, m, n_prev)                        # dZ A_prev^T
        dA = matmul_flops(n_prev, n, m) if l > 1 else 0        # W^T dZ, not needed for l = 1
        db = matmul_flops(n, m, 1)                             # dZ 1
        out.append({"layer": l, "forward": fwd, "dW": dW, "dA_prev": dA, "db": db,
                    "backward": dW + dA + db})
    return out


def step_flops(sizes, m: int) -> dict:
    r"""Flops of the matrix products of one training step (forward and backward), in total.

    .. math::

       F_{\text{fwd}} = 2m\sum_{l=1}^{L} n_l n_{l-1}, \qquad
       F_{\text{bwd}} = 2 F_{\text{fwd}} - 2 n_1 n_0 m + 2m \sum_{l=1}^{L} n_l

    Shapes: as :func:`layer_flops`; returns a dict with ``"forward"``, ``"backward"``
    and ``"total"``.
    Chapter: *Hardware acceleration*.
    """
    per_layer = layer_flops(sizes, m)
    fwd = sum(d["forward"] for d in per_layer)
    bwd = sum(d["backward"] for d in per_layer)
    return {"forward": fwd, "backward": bwd, "total": fwd + bwd}


def optimizer_state_arrays(optimizer) -> int:
    r"""How many arrays of the size of the parameters an optimizer keeps as its state.

    0 for SGD, 1 for momentum (:math:`v`), Nesterov (:math:`v`), AdaGrad (:math:`s`) and
    RMSProp (:math:`v`), 2 for Adam (:math:`m`, :math:`v`).  ``optimizer`` is a name
    (``"sgd"``, ``"adam"``, ...) or an :class:`~nnbook.optimizers.Optimizer`.

    Chapter: *Hardware acceleration*.
    """
    names = getattr(optimizer, "_state_names", None)
    if names is not None:
        return len(names)
    key = str(optimizer).lower() if isinstance(optimizer, str) else None
    key = {"gd": "sgd"}.get(key, key)
    if key not in _STATE_ARRAYS:
        raise ValueError(f"optimizer must be one of {sorted(_STATE_ARRAYS)} or an Optimizer, "
                         f"got {optimizer!r}")
    return _STATE_ARRAYS[key]


def training_memory(sizes, m: int, optimizer="sgd", dtype=np.float64) -> dict:
    r"""Bytes a training step of a dense network keeps, by kind.

    .. math::

       \underbrace{P s}_{\text{parameters}} + \underbrace{P s}_{\text{gradients}}
       + \underbrace{k P s}_{\text{optimizer state}} + \underbrace{P s}_{\text{scratch}}
       + \underbrace{\Big(n_0 + 2\sum_{l=1}^{L} n_l\Big) m s}_{\text{activations}}
       + \underbrace{m s \sum_{l=1}^{L} n_l}_{\text{error terms}}

    with :math:`P = \sum_l (n_l n_{l-1} + n_l)`, :math:`s` the itemsize of ``dtype`` and
    :math:`k` = :func:`optimizer_state_arrays`.  These are the arrays that are still held after
    ``net.loss_and_grad(X, Y)`` and ``opt.step(net.theta, net.grad)``: the activations
    are the cache :math:`A^{[0]}, Z^{[l]}, A^{[l]}` of
    :meth:`~nnbook.network.Network.activation_memory`, the error terms the :math:`dZ^{[l]}`
    every layer keeps.  Short-lived temporaries (the ReLU mask of a backward pass, a
    :math:`dA^{[l-1]}` on its way down) come on top while a step runs.  Dropout masks are not
    counted.  A layer whose activation returns its input (``"linear"``) holds :math:`Z^{[l]}`
    and :math:`A^{[l]}` as one array, :math:`n_l m s` bytes less than counted here.

    Shapes: ``sizes`` is ``[n_0, ..., n_L]`` (or a Network), ``m`` the batch size; returns a
    dict of ints (bytes) with keys ``"parameters"``, ``"gradients"``, ``"optimizer_state"``,
    ``"optimizer_scratch"``, ``"activations"``, ``"error_terms"`` and ``"total"``.
    Chapter: *Hardware acceleration*.
    """
    sizes, m = _sizes(sizes), _positive("m", m)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating type (float32 or float64), got {dtype}")
    s = dtype.itemsize
    P = sum(n * n_prev + n for n_prev, n in zip(sizes[:-1], sizes[1:]))
    k = optimizer_state_arrays(optimizer)
    out = {
        "parameters": P * s,
        "gradients": P * s,
        "optimizer_state": k * P * s,
        "optimizer_scratch": P * s,
        "activations": (sizes[0] + 2 * sum(sizes[1:])) * m * s,
        "error_terms": sum(sizes[1:]) * m * s,
    }
    out["total"] = sum(out.values())
    return out
