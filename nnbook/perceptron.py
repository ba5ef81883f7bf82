r"""Rosenblatt's perceptron, trained online with the perceptron learning rule.

One unit with a step activation,

.. math:: \hat y = \operatorname{step}(\mathbf w^\top \mathbf x + b), \qquad
          \operatorname{step}(z) = \begin{cases} 1 & z > 0 \\ h_0 & z = 0 \\ 0 & z < 0 \end{cases}

and the update the sources write, applied after **each** sample (online learning),

.. math:: \mathbf w \leftarrow \mathbf w + \eta\,(y - \hat y)\,\mathbf x, \qquad
          b \leftarrow b + \eta\,(y - \hat y), \qquad y \in \{0, 1\},

with learning rate :math:`\eta` (the CMSC 173 slides write :math:`\alpha`).

When the prediction is right, :math:`y - \hat y = 0` and nothing changes; when it is wrong,
:math:`y - \hat y = \pm 1` and the sample is added to (or subtracted from) the weights.

**The value at zero.**  Sybrandt's table of activations gives :math:`h_0 = 0.5`; the
CMSC 173 slides define the perceptron's step with :math:`h_0 = 1` ("fire when
:math:`z \ge 0`"), which keeps :math:`\hat y \in \{0, 1\}`.  :class:`Perceptron` uses :math:`h_0 = 1` by default and lets you
choose with ``at_zero`` (0, 0.5 or 1).

**Convergence** (Novikoff, 1962).  If some unit vector :math:`\mathbf u` separates the data
with margin :math:`\gamma > 0` (in the augmented space :math:`\tilde{\mathbf x} = (1, \mathbf x)`
that absorbs the bias) and every :math:`\lVert \tilde{\mathbf x} \rVert \le R`, then, from zero
weights and for any :math:`\eta > 0`, the rule makes at most :math:`(R/\gamma)^2` mistakes
in total.  On data that no line separates (XOR) it never stops making them.

The book teaches this in the chapter *The perceptron*.
"""
from __future__ import annotations

import numpy as np

from .activations import step
from .backend import to_numpy
from .initializers import as_generator

__all__ = ["Perceptron"]


class Perceptron:
    r"""A single perceptron unit trained with Rosenblatt's rule, one sample at a time.

    Parameters
    ----------
    n_features : int
        :math:`n_0`, the length of each input :math:`\mathbf x`.
    lr : float
        Learning rate :math:`\eta > 0` (from zero weights it only rescales
        :math:`\mathbf w, b`, never changes a prediction).
    seed : int or numpy.random.Generator
        Order of the samples in each epoch (and the weights when ``init="normal"``).
    init : {"zeros", "normal"}
        Start from :math:`\mathbf w = 0, b = 0` (Rosenblatt; what the convergence bound
        assumes) or from small :math:`\mathcal N(0, 0.01^2)` weights.
    at_zero : {1, 0, 0.5}
        :math:`\operatorname{step}(0)`; default 1 (predict 1 when :math:`z \ge 0`).
    shuffle : bool
        Visit the samples in a fresh random order every epoch (default) or in the order
        given.

    Attributes
    ----------
    w : ndarray ``(n_features,)``, b : float
        The weights and the bias.
    mistakes_ : list of int
        Number of misclassified samples (updates) in each epoch of :meth:`fit`.
    history_ : list of (ndarray, float)
        ``(w, b)`` before the first epoch and after every epoch (for plots and animations).
    converged_ : bool
        Whether the last :meth:`fit` ended with an epoch without mistakes.

    Examples
    --------
    >>> from nnbook.data import blobs
    >>> from nnbook.perceptron import Perceptron
    >>> X, y = blobs(100, seed=1)
    >>> p = Perceptron(2).fit(X, y)
    >>> p.converged_, bool((p.predict(X) == y).all())
    (True, True)

    Shapes: ``X`` ``(n_0, m)``, ``y`` ``(m,)`` with values 0/1.  Chapter: *The perceptron*.
    """

    def __init__(self, n_features: int, lr: float = 1.0, seed=0, init: str = "zeros",
                 at_zero: float = 1.0, shuffle: bool = True):
        if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) \
                or n_features < 1:
            raise ValueError(f"n_features must be a positive integer, got {n_features!r}")
        if not (isinstance(lr, (int, float, np.number)) and np.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
        if at_zero not in (0, 0.5, 1):
            raise ValueError(f"at_zero (the value of step(0)) must be 0, 0.5 or 1, got {at_zero!r}")
        self.n_features, self.lr, self.at_zero, self.shuffle = int(n_features), float(lr), at_zero, shuffle
        self.rng = as_generator(seed)
        if init == "zeros":
            self.w, self.b = np.zeros(self.n_features), 0.0
        elif init == "normal":
            self.w, self.b = 0.01 * self.rng.standard_normal(self.n_features), 0.0
        else:
            raise ValueError(f"init must be 'zeros' or 'normal', got {init!r}")
        self.mistakes_: list[int] = []
        self.history_: list[tuple[np.ndarray, float]] = [(self.w.copy(), self.b)]
        self.converged_ = False

    def __repr__(self) -> str:
        return (f"Perceptron(n_features={self.n_features}, lr={self.lr}, at_zero={self.at_zero}; "
                f"{len(self.mistakes_)} epochs trained)")

    def _check_X(self, X):
        X = to_numpy(X)
        if X.ndim == 1 and X.shape[0] == self.n_features:
            X = X.reshape(-1, 1)
        if X.ndim != 2 or X.shape[0] != self.n_features:
            hint = ": are samples in columns? pass X.T" if X.ndim == 2 and \
                X.shape[1] == self.n_features else ""
            raise ValueError(
                f"Perceptron with {self.n_features} inputs expected X of shape "
                f"({self.n_features}, m), got {X.shape}{hint}"
            )
        if not np.isfinite(X).all():
            raise ValueError("Perceptron: X contains NaN or infinity")
        return X.astype(float, copy=False)

    def decision_function(self, X):
        r"""The pre-activations :math:`z^{(i)} = \mathbf w^\top \mathbf x^{(i)} + b`.

        Shapes: ``X`` ``(n_0, m)`` → ``(m,)``.
        """
        X = self._check_X(X)
        return self.w @ X + self.b

    def predict(self, X):
        r"""Predictions :math:`\hat y^{(i)} = \operatorname{step}(z^{(i)}) \in \{0, 1\}`
        (0.5 where :math:`z = 0` if ``at_zero=0.5``).

        Shapes: ``X`` ``(n_0, m)`` → ``(m,)`` (integers unless ``at_zero=0.5``).
        """
        y_hat = step(self.decision_function(X), at_zero=self.at_zero)
        return y_hat if self.at_zero == 0.5 else y_hat.astype(np.int64)

    def update(self, x, y) -> float:
        r"""One step of the perceptron rule on one sample; returns the error :math:`y - \hat y`.

        .. math:: \hat y = \operatorname{step}(\mathbf w^\top \mathbf x + b), \quad
                  \mathbf w \leftarrow \mathbf w + \eta (y - \hat y)\,\mathbf x, \quad
                  b \leftarrow b + \eta (y - \hat y)

        Shapes: ``x`` ``(n_0,)``, ``y`` a scalar 0 or 1.
        """
        x = np.asarray(x, dtype=float).reshape(-1)
        y_hat = float(step(np.array(self.w @ x + self.b), at_zero=self.at_zero))
        error = float(y) - y_hat
        self.w += self.lr * error * x
        self.b += self.lr * error
        return error

    def fit(self, X, y, epochs: int = 100, stop_when_converged: bool = True):
        r"""Train with the perceptron rule for up to ``epochs`` passes over the data.

        Each epoch visits every sample once (in a random order when ``shuffle``) and applies
        :meth:`update`; it records the number of mistakes in :attr:`mistakes_` and the
        weights after the epoch in :attr:`history_`.  Training continues from the current
        weights (call ``fit`` again to train more); with ``stop_when_converged`` it stops
        after the first epoch without a mistake: the data are then classified perfectly
        and the weights cannot change any more.

        Parameters
        ----------
        X : array ``(n_0, m)``
        y : array ``(m,)`` of 0/1 labels (not -1/+1)
        epochs : int
        stop_when_converged : bool

        Returns
        -------
        Perceptron
            ``self``, trained, for chaining.

        Shapes: ``X`` ``(n_0, m)``, ``y`` ``(m,)``.
        """
        X = self._check_X(X)
        y = to_numpy(y).reshape(-1)
        if y.shape[0] != X.shape[1]:
            raise ValueError(f"X has {X.shape[1]} samples (columns) but y has {y.shape[0]} labels")
        if not np.isin(y, (0, 1)).all():
            hint = ": map -1/+1 labels with (y + 1) // 2" if np.isin(y, (-1, 1)).all() else ""
            raise ValueError(f"y must hold labels 0 and 1, got values {np.unique(y)[:5]}{hint}")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        m = X.shape[1]
        self.converged_ = False
        for _ in range(int(epochs)):
            order = self.rng.permutation(m) if self.shuffle else range(m)
            mistakes = 0
            for i in order:
                error = self.update(X[:, i], y[i])
                mistakes += error != 0
            self.mistakes_.append(int(mistakes))
            self.history_.append((self.w.copy(), self.b))
            if mistakes == 0:
                self.converged_ = True
                if stop_when_converged:
                    break
        return self
