"""nnbook: the teaching library of *Mathematical Foundations of Neural Networks*.

A small NumPy package whose code reads like the book's equations (samples are columns,
``W^[l]`` has shape ``(n_l, n_{l-1})``) and runs unchanged on CuPy.  Import it as::

    import nnbook as nb
    net = nb.Network([784, 128, 64, 10], hidden="relu", loss="cce")

Modules: :mod:`~nnbook.backend`, :mod:`~nnbook.activations`, :mod:`~nnbook.losses`,
:mod:`~nnbook.initializers`, :mod:`~nnbook.layers`, :mod:`~nnbook.network`,
:mod:`~nnbook.gradcheck`.
"""
from . import activations, backend, gradcheck, initializers, losses
from .activations import get_activation, sigmoid, softmax
from .backend import BackendError, get_array_module, gpu_available, to_device, to_numpy
from .gradcheck import check_gradient, check_network_gradients, numerical_gradient, relative_error
from .initializers import get_initializer
from .layers import Dense
from .losses import get_loss
from .network import Network, count_parameters

__version__ = "0.1.0"

__all__ = [
    "activations", "backend", "gradcheck", "initializers", "losses",
    "get_activation", "sigmoid", "softmax",
    "BackendError", "get_array_module", "gpu_available", "to_device", "to_numpy",
    "check_gradient", "check_network_gradients", "numerical_gradient", "relative_error",
    "get_initializer", "Dense", "get_loss", "Network", "count_parameters",
    "__version__",
]
