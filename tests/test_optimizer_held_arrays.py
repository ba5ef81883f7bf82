"""Tests of Optimizer.held_arrays: the arrays an optimizer keeps, and their bytes (k + 1) P s."""
from __future__ import annotations

import numpy as np
import pytest

import nnbook as nb
from nnbook.optimizers import AdamW, get_optimizer

# state arrays per parameter array, written out here (not read from the classes)
STATE = {"sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1, "adam": 2, "adamw": 2}


@pytest.mark.parametrize("name", sorted(STATE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_held_arrays_are_state_and_scratch_of_the_parameter_shapes(name, dtype, rng):
    params = [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=(5,)).astype(dtype)]
    grads = [np.ones_like(p) for p in params]
    opt = get_optimizer(name, lr=0.1)
    assert opt.held_arrays() == []                                  # nothing before the first step
    opt.step(params, grads)
    held = opt.held_arrays()
    k = STATE[name]
    assert len(held) == (k + 1) * len(params)
    assert [a.shape for a in held] == [p.shape for p in params for _ in range(k)] + [p.shape for p in params]
    assert all(a.dtype == dtype for a in held)
    P = sum(p.size for p in params)
    assert sum(a.nbytes for a in held) == (k + 1) * P * np.dtype(dtype).itemsize
    assert not any(a is p or np.shares_memory(a, p) for a in held for p in params + grads)
    assert len({id(a) for a in held}) == len(held)                  # distinct arrays


def test_held_arrays_are_the_arrays_the_optimizer_updates(rng):
    p = rng.normal(size=(3, 2))
    opt = nb.Adam(lr=0.1)
    opt.step(p, np.ones_like(p))
    m, v, tmp = opt.held_arrays()
    assert m is opt.state[0]["m"] and v is opt.state[0]["v"]
    m_before = m.copy()
    opt.step(p, 2 * np.ones_like(p))
    assert opt.held_arrays()[0] is m and not np.array_equal(m, m_before)   # the same array, updated in place
    assert opt.held_arrays()[2] is tmp


def test_held_arrays_include_an_adamw_mask_and_are_empty_after_reset(rng):
    p = rng.normal(size=(4,))
    mask = np.array([1.0, 0.0, 1.0, 0.0])
    opt = AdamW(lr=0.1, mask=mask)
    opt.step(p, np.ones_like(p))
    assert len(opt.held_arrays()) == 4 and sum(a.nbytes for a in opt.held_arrays()) == 4 * p.nbytes
    assert any(np.array_equal(a, mask) for a in opt.held_arrays())
    no_mask = AdamW(lr=0.1)
    no_mask.step(p.copy(), np.ones_like(p))
    assert len(no_mask.held_arrays()) == 3                          # a mask of None is not an array
    opt.reset()
    assert opt.held_arrays() == []


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_held_bytes_match_training_memory(name, rng):
    net = nb.Network([6, 5, 3], hidden="relu", loss="mse", dtype=np.float32, seed=0)
    X = rng.normal(size=(6, 7)).astype(np.float32)
    Y = rng.normal(size=(3, 7)).astype(np.float32)
    opt = get_optimizer(name, lr=0.01)
    net.loss_and_grad(X, Y)
    opt.step(net.theta, net.grad)
    mem = nb.training_memory([6, 5, 3], 7, name, np.float32)
    assert sum(a.nbytes for a in opt.held_arrays()) == mem["optimizer_state"] + mem["optimizer_scratch"]


@pytest.mark.gpu
def test_held_arrays_live_on_the_device_of_the_parameters(cp):
    p = cp.asarray(np.arange(6.0).reshape(2, 3))
    opt = nb.Momentum(lr=0.1)
    opt.step(p, cp.ones_like(p))
    held = opt.held_arrays()
    assert len(held) == 2 and all(isinstance(a, type(p)) for a in held)
