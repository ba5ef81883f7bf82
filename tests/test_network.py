"""Tests of nnbook.Dense and nnbook.Network: forward, backward, gradients, views, errors, dtypes."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nnbook as nb
from nnbook import losses
from nnbook.activations import sigmoid, softmax
from nnbook.gradcheck import check_gradient, check_network_gradients, numerical_gradient

TOL = 1e-7


def _sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def make_targets(loss, n_out, m, rng):
    """Targets that suit the loss: one-hot for CCE, 0/1 for BCE, real numbers otherwise."""
    if loss == "cce":
        return np.eye(n_out)[:, rng.integers(0, n_out, size=m)]
    if loss == "bce":
        return (rng.uniform(size=(n_out, m)) < 0.5).astype(float)
    return rng.normal(size=(n_out, m))


def min_abs_Z(net, layers=None):
    layers = net.layers if layers is None else layers
    return min(float(np.abs(layer.Z).min()) for layer in layers)


# --- the sources' hand-worked example ------------------------------------------------------------
W1 = [[0.2, 0.4], [0.3, 0.1]]
B1 = [0.1, 0.2]
W2 = [0.6, 0.5]
B2 = 0.3
X_HAND = np.array([[0.5], [0.8]])


@pytest.fixture
def hand_net():
    net = nb.Network([2, 2, 1], hidden="sigmoid", output="sigmoid", loss="bce")
    net.set_parameters([W1, B1, W2, B2])
    return net


def test_hand_worked_forward_pass(hand_net):
    y_hat = hand_net.forward(X_HAND)
    hidden, out = hand_net.layers
    assert y_hat.shape == (1, 1)
    # the numbers printed in the sources (three decimals)
    np.testing.assert_allclose(hidden.Z, [[0.52], [0.43]], rtol=1e-14)
    np.testing.assert_allclose(hidden.A, [[0.627], [0.606]], atol=1e-3)
    assert out.Z[0, 0] == pytest.approx(0.979, abs=1e-3)
    assert y_hat[0, 0] == pytest.approx(0.727, abs=1e-3)
    # and the exact values
    a1, a2 = _sig(0.52), _sig(0.43)
    z2 = 0.6 * a1 + 0.5 * a2 + 0.3
    np.testing.assert_allclose(hidden.A, [[a1], [a2]], rtol=1e-15)
    assert out.Z[0, 0] == pytest.approx(z2, rel=1e-15)
    assert y_hat[0, 0] == pytest.approx(_sig(z2), rel=1e-15)


def test_hand_worked_parameters_are_where_they_belong(hand_net):
    W1_, b1_, W2_, b2_ = hand_net.parameters()
    np.testing.assert_array_equal(W1_, W1)
    np.testing.assert_array_equal(b1_, [[0.1], [0.2]])
    np.testing.assert_array_equal(W2_, [[0.6, 0.5]])
    np.testing.assert_array_equal(b2_, [[0.3]])


def test_hand_worked_backward(hand_net):
    """One step of backprop by hand: dZ2 = a - y, dW2 = dZ2 a1^T, dZ1 = W2^T dZ2 * a1 (1 - a1)."""
    y = np.array([[1.0]])
    J = hand_net.loss_and_grad(X_HAND, y)
    a1 = np.array([[_sig(0.52)], [_sig(0.43)]])
    a2 = _sig(0.6 * a1[0, 0] + 0.5 * a1[1, 0] + 0.3)
    assert J == pytest.approx(-math.log(a2), rel=1e-14)
    dZ2 = a2 - 1.0
    dZ1 = np.array([[0.6], [0.5]]) * dZ2 * a1 * (1 - a1)
    np.testing.assert_allclose(hand_net.layers[1].dW, dZ2 * a1.T, rtol=1e-14)
    np.testing.assert_allclose(hand_net.layers[1].db, [[dZ2]], rtol=1e-14)
    np.testing.assert_allclose(hand_net.layers[0].dW, dZ1 @ X_HAND.T, rtol=1e-14)
    np.testing.assert_allclose(hand_net.layers[0].db, dZ1, rtol=1e-14)


# --- parameter count --------------------------------------------------------------------------------
def test_parameter_count_of_the_sources_example():
    sizes = [784, 128, 64, 10]
    assert nb.count_parameters(sizes) == 109_386
    assert 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10 == 109_386
    net = nb.Network(sizes, hidden="relu", loss="cce")
    assert net.n_params == 109_386
    assert sum(p.size for p in net.parameters()) == 109_386
    assert net.theta.shape == net.grad.shape == (109_386,)
    assert net.L == 3 and net.sizes == sizes
    assert "109,386 parameters" in repr(net)


def test_count_parameters_needs_two_sizes():
    assert nb.count_parameters([3, 1]) == 4
    with pytest.raises(ValueError, match="at least an input and an output size"):
        nb.count_parameters([5])
    with pytest.raises(ValueError, match="at least an input and an output size"):
        nb.Network([5])


# --- whole-network gradient checks ------------------------------------------------------------------
SMOOTH_CASES = [
    # (sizes, hidden, output, loss, loss_kwargs)
    ([3, 2], "relu", "linear", "mse", None),
    ([3, 1], "relu", "sigmoid", "bce", None),
    ([3, 4], "relu", "softmax", "cce", None),
    ([3, 1], "relu", "tanh", "mse", {"half": True}),
    ([3, 4, 2], "sigmoid", "linear", "mse", None),
    ([3, 4, 2], "tanh", "sigmoid", "mse", None),
    ([3, 4, 2], "tanh", "linear", "huber", {"delta": 0.5}),
    ([3, 4, 3], "sigmoid", "softmax", "cce", None),
    ([4, 5, 4, 3], "tanh", "softmax", "cce", None),
    ([4, 5, 4, 2], "sigmoid", "sigmoid", "bce", None),
    ([4, 5, 4, 2], "linear", "tanh", "mse", None),
    ([2, 4, 3, 4, 1], "tanh", "sigmoid", "bce", None),
    ([2, 4, 3, 4, 3], "sigmoid", "softmax", "cce", None),
    ([2, 4, 3, 4, 2], "tanh", "linear", "huber", None),
]


@pytest.mark.parametrize("sizes, hidden, output, loss, kw", SMOOTH_CASES,
                         ids=[f"{'-'.join(map(str, c[0]))}-{c[1]}-{c[2]}-{c[3]}" for c in SMOOTH_CASES])
def test_network_gradients_smooth(sizes, hidden, output, loss, kw, rng):
    net = nb.Network(sizes, hidden=hidden, output=output, loss=loss, loss_kwargs=kw, seed=1)
    net.theta[...] = rng.normal(scale=0.8, size=net.theta.shape)  # nonzero biases too
    X = rng.normal(size=(sizes[0], 5))
    Y = make_targets(loss, sizes[-1], 5, rng)
    if loss == "huber":  # residuals away from the switch at |r| = delta
        delta = (kw or {}).get("delta", 1.0)
        R = net.forward(X) - Y
        assert np.min(np.abs(np.abs(R) - delta)) > 1e-4
        assert (np.abs(R) > delta).any() and (np.abs(R) < delta).any()
    errors = check_network_gradients(net, X, Y)
    assert set(errors) == {f"{p}{l}" for l in range(1, len(sizes)) for p in "Wb"}
    assert max(errors.values()) < TOL, errors


def test_network_gradients_with_explicit_activations(rng):
    net = nb.Network([3, 4, 4, 2], activations=["tanh", "sigmoid", "linear"], loss="mae", seed=2)
    assert [layer.g.name for layer in net.layers] == ["tanh", "sigmoid", "linear"]
    X, Y = rng.normal(size=(3, 6)), rng.normal(size=(2, 6))
    assert np.abs(net.forward(X) - Y).min() > 1e-4  # away from the kink of |r|
    errors = check_network_gradients(net, X, Y)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("hidden, output, loss, alpha", [
    ("relu", "linear", "mse", 0.01),
    ("relu", "softmax", "cce", 0.01),
    ("leaky_relu", "sigmoid", "bce", 0.1),
    ("leaky_relu", "relu", "mse", 0.2),
])
def test_network_gradients_relu_family_away_from_kinks(hidden, output, loss, alpha):
    """ReLU nets: pick the first seed whose pre-activations all stay 1e-3 away from the kink."""
    sizes = [3, 6, 5, 2]
    for seed in range(50):
        rng = np.random.default_rng(seed)
        net = nb.Network(sizes, hidden=hidden, output=output, loss=loss, alpha=alpha, seed=seed)
        net.theta[...] = rng.normal(scale=0.7, size=net.theta.shape)
        X = rng.normal(size=(3, 6))
        Y = make_targets(loss, 2, 6, rng)
        net.forward(X)
        kinked = net.layers if output == "relu" else net.layers[:-1]
        # both sides of the kink are exercised, and nothing sits on it
        Z_hidden = np.concatenate([layer.Z.ravel() for layer in kinked])
        if min_abs_Z(net, kinked) > 1e-3 and (Z_hidden < 0).any() and (Z_hidden > 0).any():
            break
    else:
        pytest.fail("no seed in range(50) keeps every Z away from the kink")
    errors = check_network_gradients(net, X, Y)
    assert max(errors.values()) < TOL, (seed, errors)
    if alpha > 0 and hidden == "leaky_relu":
        assert net.layers[0].g.backward(np.ones(1), np.array([-1.0]), None)[0] == alpha


def test_output_delta(rng):
    X = rng.normal(size=(3, 4))
    Y = (rng.uniform(size=(2, 4)) < 0.5).astype(float)
    fused = nb.Network([3, 5, 2], hidden="tanh", loss="bce")
    A = fused.forward(X)
    np.testing.assert_allclose(fused.output_delta(Y), (A - Y) / 4, rtol=1e-15)
    plain = nb.Network([3, 5, 2], hidden="tanh", output="sigmoid", loss="mse")
    A = plain.forward(X)
    np.testing.assert_allclose(plain.output_delta(Y), losses.mse_grad(A, Y) * A * (1 - A),
                               rtol=1e-14)


def test_loss_and_grad_equals_forward_cost_backward(rng):
    net = nb.Network([3, 4, 3], hidden="tanh", loss="cce", seed=4)
    X, Y = rng.normal(size=(3, 5)), make_targets("cce", 3, 5, rng)
    J = net.loss_and_grad(X, Y)
    g = net.grad.copy()
    net.grad[...] = 0
    net.forward(X)
    assert net.cost(Y) == J
    dZ = net.backward(Y)
    np.testing.assert_array_equal(net.grad, g)
    np.testing.assert_allclose(dZ, (softmax(net.layers[-1].Z) - Y) / 5, rtol=1e-14)
    assert J == pytest.approx(losses.categorical_cross_entropy(net.layers[-1].A, Y), rel=1e-12)


def test_forward_caches_and_chains(rng):
    net = nb.Network([3, 4, 5, 2], hidden="tanh", loss="mse")
    X = rng.normal(size=(3, 7))
    out = net.forward(X)
    assert net.layers[0].A_prev is X
    for prev, layer in zip(net.layers[:-1], net.layers[1:]):
        assert layer.A_prev is prev.A
    assert out is net.layers[-1].A
    np.testing.assert_array_equal(net(X), out)
    np.testing.assert_array_equal(net.predict(X), out)
    np.testing.assert_array_equal(net.forward(X, training=True), out)
    np.testing.assert_array_equal(net.forward(X.tolist()), out)  # a list is converted


# --- Dense on its own -----------------------------------------------------------------------------
def test_dense_forward_backward_formulas(rng):
    layer = nb.Dense(3, 4, "tanh", rng=0)
    layer.b[...] = rng.normal(size=(4, 1))
    A_prev = rng.normal(size=(3, 5))
    A = layer.forward(A_prev)
    Z = layer.W @ A_prev + layer.b
    np.testing.assert_allclose(layer.Z, Z, rtol=1e-15)
    np.testing.assert_allclose(A, np.tanh(Z), rtol=1e-15)
    dA = rng.normal(size=(4, 5))
    dA_prev = layer.backward(dA)
    dZ = dA * (1 - np.tanh(Z) ** 2)
    np.testing.assert_allclose(layer.dW, dZ @ A_prev.T, rtol=1e-13)
    np.testing.assert_allclose(layer.db, dZ.sum(axis=1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(dA_prev, layer.W.T @ dZ, rtol=1e-13)
    assert layer.dW.shape == layer.W.shape == (4, 3) and layer.db.shape == (4, 1)
    # from dZ directly, and without dA_prev
    assert layer.backward(dZ=2 * dZ, need_dA_prev=False) is None
    np.testing.assert_allclose(layer.dW, 2 * dZ @ A_prev.T, rtol=1e-13)


def test_dense_backward_matches_finite_differences(rng):
    layer = nb.Dense(3, 4, "sigmoid", rng=1)
    layer.b[...] = rng.normal(size=(4, 1))
    A_prev = rng.normal(size=(3, 5))
    G = rng.normal(size=(4, 5))  # J = sum(G * A): dA = G

    def J():
        return float(np.sum(G * layer.forward(A_prev)))

    layer.forward(A_prev)
    dA_prev = layer.backward(G)
    dW, db = layer.dW.copy(), layer.db.copy()
    assert nb.relative_error(dW, numerical_gradient(J, layer.W)) < TOL
    assert nb.relative_error(db, numerical_gradient(J, layer.b)) < TOL
    err = check_gradient(lambda a: float(np.sum(G * layer.forward(a))), lambda a: dA_prev, A_prev)
    assert err < TOL


def test_dense_attributes_and_errors():
    layer = nb.Dense(3, 4, "relu")
    assert layer.n_params == 16
    assert repr(layer) == "Dense(3 -> 4, relu)"
    assert layer.init == "he_normal" and nb.Dense(3, 4, "tanh").init == "xavier_normal"
    np.testing.assert_array_equal(layer.b, np.zeros((4, 1)))
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((4, 2)))
    layer.forward(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="needs dA or dZ"):
        layer.backward()
    with pytest.raises(ValueError, match=r"expected dA/dZ of shape \(4, 2\), got \(4, 3\)"):
        layer.backward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"expected dA/dZ of shape \(4, 2\), got \(4, 1\)"):
        layer.backward(np.zeros((4, 1)))  # would broadcast: must be caught, not used
    with pytest.raises(ValueError, match=r"expected dA/dZ of shape \(4, 2\), got \(2, 4\)"):
        layer.backward(dZ=np.zeros((2, 4)))
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="n_in must be a positive integer"):
            nb.Dense(bad, 4)
    with pytest.raises(ValueError, match="n_out must be a positive integer"):
        nb.Dense(3, 0)
    with pytest.raises(ValueError, match="dtype must be a floating type"):
        nb.Dense(3, 4, dtype=np.int64)


# --- flat parameter vector ------------------------------------------------------------------------
def test_theta_and_grad_are_the_layers_parameters(rng):
    net = nb.Network([3, 4, 2], hidden="tanh", loss="mse", seed=5)
    for layer in net.layers:
        for name in ("W", "b", "dW", "db"):
            assert np.shares_memory(getattr(layer, name), net.grad if name[0] == "d" else net.theta)
    # layout: W1 (row-major), b1, W2, b2
    np.testing.assert_array_equal(
        net.theta, np.concatenate([p.ravel() for p in net.parameters()]))
    net.theta[0] = 123.0
    assert net.layers[0].W[0, 0] == 123.0
    net.theta[12] = -7.0  # first entry of b1 (after the 12 entries of W1)
    assert net.layers[0].b[0, 0] == -7.0
    net.layers[1].W[1, 3] = 4.5
    assert net.theta[12 + 4 + 1 * 4 + 3] == 4.5  # W1, b1, then row 1 of W2 (2 x 4)
    X, Y = rng.normal(size=(3, 5)), rng.normal(size=(2, 5))
    assert not net.grad.any()
    net.loss_and_grad(X, Y)
    assert net.grad.all()
    np.testing.assert_array_equal(net.grad, np.concatenate([g.ravel() for g in net.gradients()]))
    # a gradient-descent step through the flat vector moves every layer
    before = [p.copy() for p in net.parameters()]
    grads = [g.copy() for g in net.gradients()]
    theta = net.theta
    net.theta -= 0.1 * net.grad
    assert net.theta is theta
    for p, p0, g in zip(net.parameters(), before, grads):
        np.testing.assert_allclose(p, p0 - 0.1 * g, rtol=1e-15)


def test_named_parameters():
    net = nb.Network([3, 4, 2])
    names = [name for name, _, _ in net.named_parameters()]
    assert names == ["W1", "b1", "W2", "b2"]
    for (name, p, g), layer in zip(net.named_parameters()[::2], net.layers):
        assert p is layer.W and g is layer.dW


# --- errors -----------------------------------------------------------------------------------------
def test_wrong_input_shape_message():
    net = nb.Network([3, 4, 1], loss="bce")
    X = np.zeros((200, 3))
    with pytest.raises(ValueError) as info:
        net.forward(X)
    msg = str(info.value)
    assert "Dense(3 -> 4) expected A_prev with 3 rows, got shape (200, 3)" in msg
    assert "samples in columns" in msg
    with pytest.raises(ValueError, match=r"Dense\(3 -> 4\) expected A_prev with 3 rows, got "
                                         r"shape \(200, 3\): are samples in columns"):
        nb.Dense(3, 4).forward(X)
    with pytest.raises(ValueError, match="a single sample is a column"):
        net.forward(np.zeros(3))
    with pytest.raises(ValueError, match=r"got shape \(5, 7\)"):
        net.forward(np.zeros((5, 7)))


def test_wrong_target_shape_mentions_output_layer(rng):
    net = nb.Network([3, 4, 2], loss="mse")
    X = rng.normal(size=(3, 6))
    with pytest.raises(RuntimeError, match="call forward"):
        net.cost(np.zeros((2, 6)))
    net.forward(X)
    with pytest.raises(ValueError, match=r"output layer Dense\(4 -> 2.*\(2, 6\).*samples in columns"):
        net.cost(np.zeros((6, 2)))
    with pytest.raises(ValueError, match=r"targets Y have shape \(6,\).*one-hot"):
        net.backward(np.zeros(6))
    with pytest.raises(ValueError, match="output layer"):
        net.loss_and_grad(X, np.zeros((3, 6)))


def test_unknown_names():
    with pytest.raises(ValueError, match="unknown activation 'relux'"):
        nb.Network([3, 4, 1], hidden="relux")
    with pytest.raises(ValueError, match="unknown activation 'sigmoidal'"):
        nb.Network([3, 4, 1], output="sigmoidal")
    with pytest.raises(ValueError, match="unknown loss 'l3'"):
        nb.Network([3, 4, 1], loss="l3")
    with pytest.raises(ValueError, match="unknown initializer 'he_wrong'"):
        nb.Network([3, 4, 1], init="he_wrong")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_rejected(bad):
    net = nb.Network([2, 3, 1])
    X = np.ones((2, 4))
    X[1, 2] = bad
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        net.forward(X)


def test_activation_count_mismatch():
    with pytest.raises(ValueError, match="3 layers but 2 activations"):
        nb.Network([3, 4, 4, 1], activations=["relu", "sigmoid"])


@pytest.mark.parametrize("loss", ["mse", "bce", "mae", "softmax_cross_entropy"])
def test_softmax_output_needs_cce(loss):
    with pytest.raises(ValueError, match="a softmax output goes with loss='categorical_cross_entropy'"):
        nb.Network([3, 4, 2], output="softmax", loss=loss)


def test_default_output_for_loss():
    assert nb.Network([3, 2], loss="bce").layers[-1].g.name == "sigmoid"
    assert nb.Network([3, 2], loss="cce").layers[-1].g.name == "softmax"
    assert nb.Network([3, 2], loss="mse").layers[-1].g.name == "linear"
    net = nb.Network([3, 4, 4, 2], hidden="tanh", loss="cce")
    assert [layer.g.name for layer in net.layers] == ["tanh", "tanh", "softmax"]


# --- determinism ----------------------------------------------------------------------------------
def test_same_seed_same_network_different_seed_different():
    a = nb.Network([4, 8, 3], seed=3)
    b = nb.Network([4, 8, 3], seed=3)
    c = nb.Network([4, 8, 3], seed=4)
    d = nb.Network([4, 8, 3], seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.theta, d.theta)
    assert not np.array_equal(a.theta, c.theta)
    e = nb.Network([4, 4, 4])  # default seed 0, and each layer draws fresh numbers
    np.testing.assert_array_equal(e.theta, nb.Network([4, 4, 4], seed=0).theta)
    assert not np.allclose(np.abs(e.layers[0].W), np.abs(e.layers[1].W))


def test_initializer_choice():
    relu = nb.Network([300, 200, 1], hidden="relu", seed=0)
    assert relu.layers[0].W.std() == pytest.approx(math.sqrt(2 / 300), rel=0.02)  # He
    tanh = nb.Network([300, 200, 1], hidden="tanh", seed=0)
    assert tanh.layers[0].W.std() == pytest.approx(math.sqrt(2 / 500), rel=0.02)  # Xavier
    given = nb.Network([3, 4, 1], init="zeros")
    assert not given.theta.any()


# --- float32 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("hidden, loss", [("relu", "cce"), ("tanh", "bce"), ("sigmoid", "mse"),
                                          ("leaky_relu", "huber")])
def test_float32_end_to_end(hidden, loss, rng, no_warnings):
    net = nb.Network([5, 8, 6, 3], hidden=hidden, loss=loss, dtype=np.float32)
    X = rng.normal(size=(5, 10))  # float64 data is cast once at the input
    Y = make_targets(loss, 3, 10, rng)
    with no_warnings():
        J = net.loss_and_grad(X, Y)
        net.theta -= np.float32(0.1) * net.grad
    assert isinstance(J, float) and np.isfinite(J)
    assert net.theta.dtype == net.grad.dtype == np.float32
    for layer in net.layers:
        for name in ("W", "b", "dW", "db", "A_prev", "Z", "A"):
            assert getattr(layer, name).dtype == np.float32, (name, getattr(layer, name).dtype)
    assert net.forward(X).dtype == np.float32
    # float32 and float64 nets with the same seed agree to float32 precision
    net64 = nb.Network([5, 8, 6, 3], hidden=hidden, loss=loss)
    net32 = nb.Network([5, 8, 6, 3], hidden=hidden, loss=loss, dtype=np.float32)
    np.testing.assert_allclose(net32.theta, net64.theta.astype(np.float32))
    np.testing.assert_allclose(net32.forward(X), net64.forward(X), rtol=1e-4, atol=1e-5)


# --- memory ------------------------------------------------------------------------------------------
def test_activation_memory():
    net = nb.Network([784, 128, 64, 10])
    per_sample = 784 + 2 * (128 + 64 + 10)
    assert net.activation_memory(32) == per_sample * 32 * 8
    assert net.activation_memory(32, dtype=np.float32) == per_sample * 32 * 4
    assert nb.Network([784, 128, 64, 10], dtype=np.float32).activation_memory(1) == per_sample * 4
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        net.activation_memory(0)


def test_activation_memory_matches_the_cache(rng):
    net = nb.Network([6, 5, 4, 3], hidden="tanh")
    m = 7
    net.forward(rng.normal(size=(6, m)))
    cached = net.layers[0].A_prev.nbytes + sum(l.Z.nbytes + l.A.nbytes for l in net.layers)
    assert net.activation_memory(m) == cached


# --- set_parameters ----------------------------------------------------------------------------------
def test_set_parameters_errors():
    net = nb.Network([2, 3, 1])
    ok = [np.zeros((3, 2)), np.zeros((3, 1)), np.zeros((1, 3)), np.zeros((1, 1))]
    net.set_parameters(ok)
    with pytest.raises(ValueError, match=r"expected 4 arrays \[W1, b1, \.\.\.\], got 3"):
        net.set_parameters(ok[:3])
    with pytest.raises(ValueError, match=r"W1 has shape \(3, 2\), got \(4, 2\)"):
        net.set_parameters([np.zeros((4, 2))] + ok[1:])
    with pytest.raises(ValueError, match=r"b1 has shape \(3, 1\), got \(2,\)"):
        net.set_parameters([ok[0], np.zeros(2)] + ok[2:])
    # a transposed matrix has the right size but must not be silently reshaped
    with pytest.raises(ValueError, match=r"W1 has shape \(3, 2\), got \(2, 3\): transposed"):
        net.set_parameters([np.arange(6.0).reshape(2, 3)] + ok[1:])
    with pytest.raises(ValueError, match=r"b1 has shape \(3, 1\), got \(1, 3\)"):
        net.set_parameters([ok[0], np.zeros((1, 3))] + ok[2:])


def test_set_parameters_keeps_views(rng):
    net = nb.Network([2, 3, 1])
    theta = net.theta
    new = [rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=(1, 3)), 0.25]
    net.set_parameters(new)
    assert net.theta is theta
    np.testing.assert_array_equal(net.layers[0].W, new[0])
    np.testing.assert_array_equal(net.layers[0].b, new[1].reshape(3, 1))
    assert net.layers[1].b[0, 0] == 0.25
    np.testing.assert_array_equal(net.theta, np.concatenate([np.ravel(p) for p in new]))


# --- fused losses: stable for huge logits ---------------------------------------------------------
def test_sigmoid_bce_with_huge_logits(no_warnings):
    net = nb.Network([2, 1], loss="bce")
    net.set_parameters([[[1e4, 0.0]], 0.0])
    X = np.array([[1.0, -1.0, 1.0, -1.0], [3.0, 3.0, 3.0, 3.0]])
    Y = np.array([[1.0, 0.0, 0.0, 1.0]])  # right, right, wrong, wrong, each with |logit| 1e4
    with no_warnings():
        J = net.loss_and_grad(X, Y)
    np.testing.assert_array_equal(net.layers[0].Z, [[1e4, -1e4, 1e4, -1e4]])
    assert J == 2e4 / 4  # not the -log(eps) ~ 36 of a clipped probability
    np.testing.assert_array_equal(net.layers[0].dW, [[(1 * 1 + (-1) * (-1)) / 4, 0.0]])
    np.testing.assert_array_equal(net.layers[0].db, [[0.0]])


def test_softmax_cce_with_huge_logits(no_warnings):
    net = nb.Network([2, 3], loss="cce")
    net.set_parameters([[[1e4, 0.0], [-1e4, 0.0], [0.0, 0.0]], np.zeros(3)])
    X = np.array([[1.0, -1.0], [0.0, 0.0]])
    Y = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    with no_warnings():
        J = net.loss_and_grad(X, Y)
    # column 1: logits (1e4, -1e4, 0), class 2: loss 2e4; column 2: logits (-1e4, 1e4, 0): loss 0
    assert J == 1e4
    assert np.all(np.isfinite(net.grad))
    np.testing.assert_array_equal(net.output_delta(Y), [[0.5, 0.0], [-0.5, 0.0], [0.0, 0.0]])


@pytest.mark.parametrize("loss, n_out", [("bce", 2), ("cce", 3)])
def test_deep_fused_nets_with_huge_logits(loss, n_out, rng, no_warnings):
    net = nb.Network([3, 5, 4, n_out], hidden="tanh", loss=loss, seed=2)
    net.layers[-1].W[...] *= 1e4 / np.abs(net.layers[-1].W).max()
    X = rng.normal(scale=10, size=(3, 8))
    Y = make_targets(loss, n_out, 8, rng)
    with no_warnings():
        J = net.loss_and_grad(X, Y)
    assert np.abs(net.layers[-1].Z).max() > 1e3
    assert np.isfinite(J) and J > 100
    assert np.all(np.isfinite(net.grad))
    fused = (losses.binary_cross_entropy_with_logits if loss == "bce"
             else losses.softmax_cross_entropy)
    assert J == fused(net.layers[-1].Z, Y)


def test_fused_cost_equals_probability_cost_for_moderate_logits(rng):
    for loss, out, n in [("bce", sigmoid, 2), ("cce", softmax, 3)]:
        net = nb.Network([3, 4, n], hidden="tanh", loss=loss)
        X, Y = rng.normal(size=(3, 6)), make_targets(loss, n, 6, rng)
        net.forward(X)
        plain = losses.binary_cross_entropy if loss == "bce" else losses.categorical_cross_entropy
        assert net.cost(Y) == pytest.approx(plain(out(net.layers[-1].Z), Y), rel=1e-12)
