"""Tests of nnbook.cost: the counts against independent counts of what the code really does."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnbook as nb
from nnbook.cost import (layer_flops, matmul_flops, optimizer_state_arrays, step_flops,
                         training_memory)


# --- an independent count of the matrix products a training step runs ------------------------
class Counted(np.ndarray):
    """An ndarray that records the shapes of every matrix product it takes part in."""

    log: list = []

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        plain = [np.asarray(x) if isinstance(x, Counted) else x for x in inputs]
        if ufunc is np.matmul and method == "__call__":
            a, b = plain
            Counted.log.append((a.shape, b.shape))
        if out is not None:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, Counted) else o for o in out)
        result = getattr(ufunc, method)(*plain, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        if isinstance(result, np.ndarray) and result.ndim > 0:
            return result.view(Counted)
        return result


def counted_products(net, X, Y):
    """The flops (2 a b c) of every matmul the network runs in one loss_and_grad, as a list."""
    for layer in net.layers:                     # views of theta and grad stay views
        layer.W = layer.W.view(Counted)
    output_delta = net.output_delta            # the loss may hand back a plain array: view it
    net.output_delta = lambda Y_: output_delta(Y_).view(Counted)
    Counted.log = []
    net.loss_and_grad(X.view(Counted), Y)
    return [2 * a[0] * a[1] * b[1] for a, b in Counted.log], list(Counted.log)


def loop_matmul_multiply_adds(A, B):
    """A @ B with explicit loops, counting its multiply-adds one by one."""
    n, k = A.shape
    k2, p = B.shape
    assert k == k2
    C, count = np.zeros((n, p)), 0
    for i in range(n):
        for j in range(p):
            for t in range(k):
                C[i, j] += A[i, t] * B[t, j]
                count += 1
    return C, count


@pytest.mark.parametrize("a,b,c", [(1, 1, 1), (2, 3, 4), (5, 1, 3), (3, 7, 2)])
def test_matmul_flops_counts_two_per_multiply_add(a, b, c):
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(a, b)), rng.normal(size=(b, c))
    C, count = loop_matmul_multiply_adds(A, B)
    assert np.allclose(C, A @ B)
    assert matmul_flops(a, b, c) == 2 * count


@pytest.mark.parametrize("sizes,m", [([3, 4, 2], 5), ([2, 3], 1), ([6, 5, 4, 3], 7),
                                     ([4, 8, 8, 8, 1], 3)])
@pytest.mark.parametrize("loss,hidden", [("mse", "tanh"), ("cce", "relu"), ("bce", "sigmoid")])
def test_layer_flops_match_the_products_the_network_runs(sizes, m, loss, hidden):
    if loss == "bce":
        sizes = sizes[:-1] + [1]
    rng = np.random.default_rng(1)
    net = nb.Network(sizes, hidden=hidden, loss=loss, seed=0)
    X = rng.normal(size=(sizes[0], m))
    if loss == "cce":
        Y = nb.one_hot(rng.integers(0, sizes[-1], m), sizes[-1])
    elif loss == "bce":
        Y = (rng.random((1, m)) < 0.5).astype(float)
    else:
        Y = rng.normal(size=(sizes[-1], m))
    flops, shapes = counted_products(net, X, Y)
    counted = layer_flops(sizes, m)
    L = len(sizes) - 1
    # forward: one product per layer, W (n_l, n_{l-1}) @ A (n_{l-1}, m), in order
    assert shapes[:L] == [((n, n_prev), (n_prev, m)) for n_prev, n in zip(sizes[:-1], sizes[1:])]
    assert flops[:L] == [d["forward"] for d in counted]
    # backward: dW, db and (except for layer 1) dA_prev, from the last layer down
    expected_bwd = []
    for d in reversed(counted):
        expected_bwd += [d["dW"], d["db"]] + ([d["dA_prev"]] if d["layer"] > 1 else [])
    assert flops[L:] == expected_bwd
    assert sum(flops) == step_flops(sizes, m)["total"]
    assert sum(flops[:L]) == step_flops(sizes, m)["forward"]
    # the first layer has no dA_prev; every other layer's equals its forward product
    assert counted[0]["dA_prev"] == 0
    assert all(d["dA_prev"] == d["forward"] == d["dW"] for d in counted[1:])


def test_step_flops_closed_form_and_the_example():
    sizes, m = [784, 128, 64, 10], 128
    F = step_flops(sizes, m)
    fwd = 2 * m * (784 * 128 + 128 * 64 + 64 * 10)
    assert F["forward"] == fwd == 27_951_104
    assert F["backward"] == 2 * fwd - 2 * 784 * 128 * m + 2 * m * (128 + 64 + 10)
    assert F["total"] == F["forward"] + F["backward"]
    per = layer_flops(sizes, m)
    assert [d["layer"] for d in per] == [1, 2, 3]
    assert all(d["backward"] == d["dW"] + d["dA_prev"] + d["db"] for d in per)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=2, max_size=6), st.integers(1, 300),
       st.integers(2, 5))
def test_flops_are_linear_in_the_batch_size(sizes, m, k):
    one, many = step_flops(sizes, m), step_flops(sizes, k * m)
    assert all(many[key] == k * one[key] for key in one)


def test_a_network_can_stand_for_its_sizes():
    net = nb.Network([5, 7, 3], loss="mse")
    assert layer_flops(net, 4) == layer_flops([5, 7, 3], 4)
    assert training_memory(net, 4, "adam") == training_memory([5, 7, 3], 4, "adam")


# --- memory against the arrays actually held after a step -------------------------------------
def held_bytes(net, opt):
    """Bytes of the distinct memory blocks held by the network and the optimizer after a step."""
    arrays = [net.theta, net.grad]
    for layer in net.layers:
        arrays += [layer.A_prev, layer.Z, layer.A, layer.dZ]
    for state in opt.state:
        arrays += list(state.values())
    arrays += list(opt._scratch)
    blocks = {}
    for a in arrays:
        base = a
        while base.base is not None:             # views of theta/grad count once, as theta/grad
            base = base.base
        blocks[id(base)] = base
    return sum(b.nbytes for b in blocks.values())


@pytest.mark.parametrize("opt_name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes,m", [([6, 5, 3], 4), ([10, 8, 8, 2], 17)])
def test_training_memory_equals_the_arrays_a_step_keeps(opt_name, dtype, sizes, m):
    rng = np.random.default_rng(2)
    net = nb.Network(sizes, hidden="relu", output="tanh", loss="mse", dtype=dtype, seed=0)
    X = rng.normal(size=(sizes[0], m)).astype(dtype)
    Y = rng.uniform(-0.9, 0.9, size=(sizes[-1], m)).astype(dtype)
    opt = nb.get_optimizer(opt_name, lr=0.01)
    net.loss_and_grad(X, Y)
    opt.step(net.theta, net.grad)
    mem = training_memory(sizes, m, opt_name, dtype)
    assert held_bytes(net, opt) == mem["total"]
    s = np.dtype(dtype).itemsize
    state = sum(a.nbytes for st_ in opt.state for a in st_.values())
    assert mem["optimizer_state"] == state == optimizer_state_arrays(opt) * net.n_params * s
    assert mem["activations"] == net.activation_memory(m)
    assert mem["error_terms"] == sum(layer.dZ.nbytes for layer in net.layers)
    assert mem["parameters"] == mem["gradients"] == net.theta.nbytes == net.grad.nbytes


def test_a_linear_output_shares_z_and_a():
    # g(Z) = Z returns Z itself, so the output layer's Z and A are one array: n_L m numbers less
    sizes, m = [6, 5, 3], 4
    rng = np.random.default_rng(3)
    net = nb.Network(sizes, hidden="relu", output="linear", loss="mse", seed=0)
    opt = nb.SGD(0.01)
    net.loss_and_grad(rng.normal(size=(6, m)), rng.normal(size=(3, m)))
    opt.step(net.theta, net.grad)
    assert net.layers[-1].A is net.layers[-1].Z
    assert held_bytes(net, opt) == training_memory(sizes, m)["total"] - 3 * m * 8


def test_optimizer_state_arrays_by_name_and_instance():
    expected = {"sgd": 0, "gd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1,
                "adam": 2, "Adam": 2}
    for name, k in expected.items():
        assert optimizer_state_arrays(name) == k
        if name not in ("gd", "Adam"):
            assert optimizer_state_arrays(nb.get_optimizer(name, lr=0.1)) == k


def test_memory_grows_linearly_in_the_batch_size_and_the_parameters_do_not():
    a, b = training_memory([20, 30, 5], 10, "adam"), training_memory([20, 30, 5], 30, "adam")
    for key in ("parameters", "gradients", "optimizer_state", "optimizer_scratch"):
        assert a[key] == b[key]
    for key in ("activations", "error_terms"):
        assert b[key] == 3 * a[key]


# --- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [[3], [], [3, 0, 2], [3, -1], [3, 2.5]])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError, match="sizes"):
        layer_flops(bad, 4)


@pytest.mark.parametrize("m", [0, -3, 2.0, True])
def test_bad_batch_size_is_refused(m):
    with pytest.raises(ValueError, match="m must be a positive integer"):
        step_flops([3, 2], m)
    with pytest.raises(ValueError, match="m must be a positive integer"):
        training_memory([3, 2], m)


def test_bad_optimizer_and_dtype_are_refused():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        training_memory([3, 2], 4, "lbfgs")
    with pytest.raises(ValueError, match="dtype must be a floating type"):
        training_memory([3, 2], 4, "sgd", np.int32)
    with pytest.raises(ValueError, match="a must be a positive integer"):
        matmul_flops(0, 2, 2)
