"""nnbook: the teaching library of *Mathematical Foundations of Neural Networks*.

A small NumPy package whose code reads like the book's equations (samples are columns,
``W^[l]`` has shape ``(n_l, n_{l-1})``) and runs unchanged on CuPy.  Import it as::

    import nnbook as nb
    net = nb.Network([784, 128, 64, 10], hidden="relu", loss="cce")

Modules: the core — :mod:`~nnbook.backend`, :mod:`~nnbook.activations`,
:mod:`~nnbook.losses`, :mod:`~nnbook.initializers`, :mod:`~nnbook.layers`,
:mod:`~nnbook.network`, :mod:`~nnbook.gradcheck`; training — :mod:`~nnbook.optimizers`,
:mod:`~nnbook.schedules`, :mod:`~nnbook.regularization`, :mod:`~nnbook.data`,
:mod:`~nnbook.training`, :mod:`~nnbook.callbacks`, :mod:`~nnbook.diagnostics`, :mod:`~nnbook.perceptron`, :mod:`~nnbook.io`; teaching —
:mod:`~nnbook.checkers`, :mod:`~nnbook.cost`, :mod:`~nnbook.testfunctions`, :mod:`~nnbook.plotting` (needs
matplotlib, which it imports only when a function is called), :mod:`~nnbook.autograd`.
"""
from . import (activations, autograd, backend, callbacks, checkers, diagnostics, cost, data, gradcheck, initializers, io, losses,
               optimizers, perceptron, plotting, regularization, schedules, testfunctions,
               training)
from .activations import get_activation, sigmoid, softmax
from .backend import BackendError, get_array_module, gpu_available, to_device, to_numpy
from .cost import layer_flops, matmul_flops, step_flops, training_memory
from .gradcheck import check_gradient, check_network_gradients, numerical_gradient, relative_error
from .initializers import get_initializer
from .layers import BatchNorm, Dense
from .losses import get_loss
from .network import Network, count_parameters
from .data import Standardizer, minibatches, one_hot, smooth_labels, train_test_split
from .io import load_network, save_network
from .optimizers import (SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSProp,
                         clip_by_global_norm, clip_by_value, get_optimizer)
from .perceptron import Perceptron
from .regularization import EarlyStopping
from .training import History, TrainingDiverged, accuracy, confusion_matrix, evaluate, fit
from .callbacks import CSVLogger, JSONLinesLogger, StopWhen, read_jsonl
from .diagnostics import lr_range_test

__version__ = "0.1.0"

__all__ = [
    "activations", "autograd", "backend", "plotting", "gradcheck", "initializers", "losses",
    "get_activation", "sigmoid", "softmax",
    "BackendError", "get_array_module", "gpu_available", "to_device", "to_numpy",
    "check_gradient", "check_network_gradients", "numerical_gradient", "relative_error",
    "get_initializer", "Dense", "BatchNorm", "get_loss", "Network", "count_parameters",
    "data", "io", "perceptron", "training", "Standardizer", "minibatches", "one_hot",
    "smooth_labels",
    "train_test_split", "load_network", "save_network", "Perceptron", "History",
    "TrainingDiverged", "accuracy", "confusion_matrix", "evaluate", "fit",
    "checkers", "optimizers", "regularization", "schedules", "testfunctions", "SGD", "AdaGrad",
    "Adam", "AdamW", "Momentum", "Nesterov", "RMSProp", "clip_by_global_norm", "clip_by_value",
    "get_optimizer", "EarlyStopping",
    "callbacks", "diagnostics", "CSVLogger", "JSONLinesLogger", "StopWhen", "read_jsonl",
    "lr_range_test",
    "cost", "layer_flops", "matmul_flops", "step_flops", "training_memory",
    "__version__",
]
