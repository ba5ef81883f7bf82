"""Tests of nnbook.autograd: reverse mode (Value), forward mode (Dual), arrays of Values, errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook as nb
from nnbook import autograd as ag
from nnbook.gradcheck import check_gradient, relative_error

TOL = 1e-7  # relative error of a correct gradient in float64 (CONVENTIONS.md)
EXACT = 1e-12  # two exact methods that only differ in rounding

finite = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
positive = st.floats(0.2, 4.0, allow_nan=False, allow_infinity=False)


# --- one operation at a time: the local derivatives ------------------------------------------
# name -> (f(x) written with the module's functions, f'(x) written by hand, a point)
UNARY = {
    "add_const": (lambda x: x + 2.5, lambda x: 1.0, 0.7),
    "radd_const": (lambda x: 2.5 + x, lambda x: 1.0, 0.7),
    "sub_const": (lambda x: x - 2.5, lambda x: 1.0, 0.7),
    "rsub_const": (lambda x: 2.5 - x, lambda x: -1.0, 0.7),
    "neg": (lambda x: -x, lambda x: -1.0, 0.7),
    "mul_const": (lambda x: 3.0 * x, lambda x: 3.0, 0.7),
    "div_const": (lambda x: x / 4.0, lambda x: 0.25, 0.7),
    "rdiv_const": (lambda x: 4.0 / x, lambda x: -4.0 / x**2, 0.7),
    "square": (lambda x: x * x, lambda x: 2 * x, -1.3),
    "pow_int": (lambda x: x**3, lambda x: 3 * x**2, -1.3),
    "pow_neg": (lambda x: x**-2, lambda x: -2 * x**-3, 1.3),
    "pow_frac": (lambda x: x**0.5, lambda x: 0.5 * x**-0.5, 1.7),
    "exp": (ag.exp, math.exp, 0.4),
    "log": (ag.log, lambda x: 1 / x, 2.2),
    "tanh": (ag.tanh, lambda x: 1 - math.tanh(x) ** 2, -0.8),
    "sigmoid": (ag.sigmoid, lambda x: ag.sigmoid(x) * (1 - ag.sigmoid(x)), -0.8),
    "relu_pos": (ag.relu, lambda x: 1.0, 0.8),
    "relu_neg": (ag.relu, lambda x: 0.0, -0.8),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_local_derivative_reverse_forward_and_by_hand(name):
    f, fprime, x0 = UNARY[name]
    x = ag.Value(x0)
    y = f(x)
    y.backward()
    assert y.data == pytest.approx(f(x0), rel=1e-15)
    assert x.grad == pytest.approx(fprime(x0), rel=1e-14, abs=1e-300)
    d = f(ag.Dual(x0, 1.0))
    assert d.value == pytest.approx(f(x0), rel=1e-15)
    assert d.deriv == pytest.approx(fprime(x0), rel=1e-14, abs=1e-300)


def test_methods_and_module_functions_agree():
    for name in ("exp", "log", "tanh", "sigmoid", "relu"):
        a, b = ag.Value(1.3), ag.Value(1.3)
        getattr(a, name)().backward()
        getattr(ag, name)(b).backward()
        assert a.grad == b.grad and a.grad != 0.0


def test_float_functions_match_numpy_and_nnbook():
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(ag.sigmoid(z), nb.activations.sigmoid(z), rtol=1e-15)
    np.testing.assert_allclose(ag.tanh(z), np.tanh(z), rtol=1e-15)
    np.testing.assert_allclose(ag.relu(z), np.maximum(z, 0), rtol=0)
    np.testing.assert_allclose(ag.exp(z[:5]), np.exp(z[:5]), rtol=1e-15)
    np.testing.assert_allclose(ag.log(np.exp(z[:5])), z[:5], rtol=1e-14)
    # the sigmoid of a very negative number neither overflows nor loses its relative precision
    assert 0.0 <= ag.sigmoid(-800.0) < 1e-300
    assert ag.sigmoid(-700.0) == pytest.approx(math.exp(-700.0), rel=1e-12)
    assert ag.sigmoid(ag.Value(-700.0)).data == pytest.approx(math.exp(-700.0), rel=1e-12)


# --- whole expressions: reverse mode against finite differences and forward mode --------------
def expression(v):
    """A function of three inputs that uses every operation, some inputs more than once."""
    x, y, z = v
    a = x * y + ag.tanh(z) - x / (1.0 + y * y)
    b = ag.sigmoid(a) * ag.exp(0.3 * z) + ag.log(1.0 + x * x) ** 1.5
    return b / (2.0 + ag.relu(y - 0.1)) - 0.5 * (a - z) ** 2


def expression_gradient_by_hand(v):
    """The gradient of :func:`expression`, derived by hand with the chain rule."""
    x, y, z = v
    a = x * y + math.tanh(z) - x / (1 + y * y)
    s = ag.sigmoid(a)
    E = math.exp(0.3 * z)
    q = math.log(1 + x * x)
    b = s * E + q**1.5
    r = max(y - 0.1, 0.0)
    c = 2.0 + r
    da = [y - 1 / (1 + y * y), x + 2 * x * y / (1 + y * y) ** 2, 1 - math.tanh(z) ** 2]
    db = [s * (1 - s) * E * d for d in da]
    db[0] += 1.5 * q**0.5 * 2 * x / (1 + x * x)
    db[2] += s * E * 0.3
    dc = [0.0, 1.0 if y > 0.1 else 0.0, 0.0]
    dquad = [(a - z) * da[0], (a - z) * da[1], (a - z) * (da[2] - 1)]
    return np.array([db[k] / c - b * dc[k] / c**2 - dquad[k] for k in range(3)])


@given(st.tuples(finite, finite, finite).filter(lambda v: abs(v[1] - 0.1) > 1e-3))
def test_expression_reverse_mode_matches_finite_differences(v):
    x = np.array(v)
    r = check_gradient(lambda p: expression(list(p)), lambda p: ag.grad_reverse(expression, p), x)
    assert r < TOL


@given(st.tuples(finite, finite, finite).filter(lambda v: abs(v[1] - 0.1) > 1e-3))
def test_expression_reverse_mode_matches_the_hand_derivation(v):
    g = ag.grad_reverse(expression, v)
    assert relative_error(g, expression_gradient_by_hand(v)) < EXACT


@given(st.tuples(finite, finite, finite))
def test_forward_mode_gives_the_same_gradient_as_reverse_mode(v):
    g_rev = ag.grad_reverse(expression, v)
    g_fwd = ag.grad_forward(expression, v)
    assert relative_error(g_fwd, g_rev) < EXACT


@given(positive)
def test_derivative_of_a_scalar_function(x):
    f = lambda t: t**3 * ag.log(t) - ag.exp(-t) / t  # noqa: E731
    fprime = 3 * x**2 * math.log(x) + x**2 + math.exp(-x) / x + math.exp(-x) / x**2
    assert ag.derivative(f, x) == pytest.approx(fprime, rel=1e-12)
    v = ag.Value(x)
    f(v).backward()
    assert v.grad == pytest.approx(fprime, rel=1e-12)


def test_a_node_used_twice_gets_both_contributions():
    x = ag.Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    (x + x + x).backward()
    assert x.grad == 3.0
    y = ag.exp(x)
    (y * y).backward()  # e^{2x}: y feeds the product twice
    assert x.grad == pytest.approx(2 * math.exp(6.0), rel=1e-15)


def test_backward_twice_gives_the_same_gradients_not_twice_them():
    x, y = ag.Value(0.3), ag.Value(-1.2)
    f = ag.tanh(x * y) + x**2
    f.backward()
    first = (x.grad, y.grad)
    f.backward()
    assert (x.grad, y.grad) == first


def test_constant_output_has_zero_gradient():
    assert np.array_equal(ag.grad_reverse(lambda v: 2.0, [1.0, 2.0]), [0.0, 0.0])
    assert np.array_equal(ag.grad_forward(lambda v: 2.0, [1.0, 2.0]), [0.0, 0.0])
    assert ag.derivative(lambda t: 5.0, 1.0) == 0.0


# --- the graph --------------------------------------------------------------------------------
def test_topological_order_puts_parents_first_and_counts_nodes():
    x, y = ag.Value(1.0, "x"), ag.Value(2.0, "y")
    f = (x * y + x).tanh()
    order = ag.topological_order(f)
    assert order[-1] is f
    pos = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(pos[id(p)] < pos[id(node)] for p in node.parents)
    # x, y, x*y, x*y + x, tanh: five distinct nodes although x is used twice
    assert len(order) == 5
    assert [n.op for n in order].count("") == 2


def test_a_graph_deeper_than_the_recursion_limit():
    x = ag.Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-10)


# --- arrays of Values: the layer equations on graphs -----------------------------------------
def test_as_values_data_of_grad_of():
    A = np.arange(6.0).reshape(2, 3)
    V = ag.as_values(A, label="W1")
    assert V.shape == (2, 3) and V.dtype == object
    assert V[1, 2].label == "W1[1,2]"
    np.testing.assert_array_equal(ag.data_of(V), A)
    np.testing.assert_array_equal(ag.grad_of(V), np.zeros((2, 3)))
    s = V.sum()
    s.backward()
    np.testing.assert_array_equal(ag.grad_of(V), np.ones((2, 3)))
    assert ag.as_values(2.0).shape == ()


def test_numpy_arithmetic_with_arrays_of_values():
    V = ag.as_values(np.array([1.0, 2.0]))
    for out in (np.array([3.0, 4.0]) * V[0], V[0] * np.array([3.0, 4.0]),
                V[0] - np.array([3.0, 4.0]), V[0] / np.array([3.0, 4.0])):
        assert out.dtype == object and out.shape == (2,)
    np.testing.assert_allclose(ag.data_of(V[0] - np.array([3.0, 4.0])), [-2.0, -3.0])
    D = np.array([2.0, 4.0]) / ag.Dual(2.0, 1.0)
    assert [d.deriv for d in D] == [-0.5, -1.0]


def value_network_cost(params, X, Y, activations, loss):
    """The cost of an MLP built from Value objects with the book's equations, column layout."""
    A = X
    for (W, b), g in zip(params, activations):
        Z = W @ A + b
        if g == "softmax":
            E = ag.exp(Z - ag.data_of(Z).max(axis=0))  # shift by a constant: same softmax
            A = E / E.sum(axis=0)
        else:
            A = getattr(ag, g)(Z)
    m = X.shape[1]
    if loss == "mse":
        return ((A - Y) ** 2).sum() / m
    if loss == "bce":
        return -(Y * ag.log(A) + (1 - Y) * ag.log(1 - A)).sum() / m
    return -(Y * ag.log(A)).sum() / m  # categorical cross-entropy


@pytest.mark.parametrize(
    "sizes, activations, loss",
    [
        ([3, 4, 2], ["tanh", "sigmoid"], "mse"),
        ([2, 3, 3, 1], ["relu", "tanh", "sigmoid"], "bce"),
        ([4, 5, 3], ["sigmoid", "softmax"], "cce"),
    ],
)
def test_mlp_of_values_matches_network_backward(sizes, activations, loss, rng):
    m = 5
    net = nb.Network(sizes, activations=activations, loss=loss, seed=3)
    for layer in net.layers:  # non-zero biases, so that db is tested too
        layer.b[...] = rng.normal(0, 0.3, size=layer.b.shape)
    X = rng.normal(size=(sizes[0], m))
    if loss == "cce":
        Y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], size=m)]
    elif loss == "bce":
        Y = rng.integers(0, 2, size=(1, m)).astype(float)
    else:
        Y = rng.normal(size=(sizes[-1], m))
    J_net = net.loss_and_grad(X, Y)
    params = [(ag.as_values(layer.W), ag.as_values(layer.b)) for layer in net.layers]
    J = value_network_cost(params, X, Y, activations, loss)
    J.backward()
    assert J.data == pytest.approx(J_net, rel=1e-12)
    for (W, b), layer in zip(params, net.layers):
        assert relative_error(ag.grad_of(W), layer.dW) < EXACT
        assert relative_error(ag.grad_of(b), layer.db) < EXACT


def test_the_2_2_1_example_of_the_forward_chapter():
    """x = [0.5, 0.8] gives y_hat = 0.727; all nine gradients agree with Network.backward."""
    W1, b1 = np.array([[0.2, 0.4], [0.3, 0.1]]), np.array([[0.1], [0.2]])
    W2, b2 = np.array([[0.6, 0.5]]), np.array([[0.3]])
    x, y = np.array([[0.5], [0.8]]), np.array([[1.0]])
    net = nb.Network([2, 2, 1], hidden="sigmoid", output="sigmoid", loss="bce")
    net.set_parameters([W1, b1, W2, b2])
    net.loss_and_grad(x, y)
    P = [ag.as_values(p) for p in (W1, b1, W2, b2)]
    a2 = ag.sigmoid(P[2] @ ag.sigmoid(P[0] @ x + P[1]) + P[3])[0, 0]
    assert a2.data == pytest.approx(0.727, abs=1e-3)
    L = -(y[0, 0] * ag.log(a2) + (1 - y[0, 0]) * ag.log(1 - a2))
    L.backward()
    for V, (_, _, g) in zip(P, net.named_parameters()):
        np.testing.assert_allclose(ag.grad_of(V), g, rtol=1e-12, atol=1e-15)


# --- errors -----------------------------------------------------------------------------------
def test_clear_errors():
    with pytest.raises(TypeError, match="real number, got str"):
        ag.Value("1.0")
    with pytest.raises(TypeError, match="as_values"):
        ag.Value(np.ones(3))
    with pytest.raises(TypeError, match="real number, got bool"):
        ag.Value(True)
    with pytest.raises(ValueError, match="positive argument, got -1.0"):
        ag.Value(-1.0).log()
    with pytest.raises(ValueError, match="positive argument"):
        ag.Dual(0.0).log()
    with pytest.raises(ValueError, match="positive argument"):
        ag.log(0.0)
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        ag.Value(1.0) / 0.0
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        ag.Dual(1.0) / ag.Dual(0.0, 1.0)
    with pytest.raises(TypeError, match="Value and Dual"):
        ag.Value(1.0) + ag.Dual(1.0)
    with pytest.raises(TypeError, match="Dual and Value"):
        ag.Dual(1.0) * ag.Value(1.0)
    with pytest.raises(TypeError, match="constant int or float exponent"):
        ag.Value(2.0) ** ag.Value(2.0)
    with pytest.raises(ValueError, match="non-integer power"):
        ag.Value(-2.0) ** 0.5
    with pytest.raises(ZeroDivisionError, match="negative power"):
        ag.Dual(0.0) ** -1
    with pytest.raises(OverflowError, match="overflows"):
        ag.Value(1000.0).exp()
    with pytest.raises(TypeError, match="expected a Value"):
        ag.topological_order(1.0)
    with pytest.raises(ValueError, match="1-d sequence"):
        ag.grad_reverse(lambda v: v[0], np.ones((2, 2)))
    with pytest.raises(ValueError, match="1-d sequence"):
        ag.grad_forward(lambda v: v[0], [])
    with pytest.raises(TypeError, match="must return a scalar"):
        ag.grad_reverse(lambda v: "x", [1.0])
    with pytest.raises(TypeError, match="array of Value objects"):
        ag.grad_of(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="array of real numbers"):
        ag.as_values(np.array(["a"]))


def test_repr_names_the_value_and_its_gradient():
    x = ag.Value(2.0, label="w1")
    (3 * x).backward()
    assert repr(x) == "Value(w1=2, grad=3)"
    assert repr(ag.Dual(2.0, 1.0)) == "Dual(2, deriv=1)"
