r"""Gradient-descent optimizers, and gradient clipping.

An optimizer turns the gradient :math:`g_t = \nabla J(\theta_{t-1})` into a step:

.. math:: \theta_t = \theta_{t-1} - \eta\, u_t(g_1, \dots, g_t)

where the update direction :math:`u_t` is :math:`g_t` for plain gradient descent and a running
average of past gradients, possibly divided by a running size of them, for the others.  The
optimizers here hold that state (velocities, moments) in a class; ``step(params, grads)``
updates the parameters **in place**::

    opt = nb.optimizers.Adam(lr=1e-3)
    for epoch in range(100):
        net.loss_and_grad(X, Y)
        opt.step(net.theta, net.grad)  # every parameter in one call

``params`` and ``grads`` are one array or a list of arrays of matching shapes; the state is
allocated on the first step, on the parameters' backend (NumPy or CuPy) and dtype, one slot
per position in the list.  Every update is a handful of vectorized in-place operations on a
preallocated scratch array, so a step allocates no new arrays.

Where the sources disagree (momentum as :math:`v = \beta v + (1-\beta) g` or as
:math:`v = \beta v + g`; Adam with or without bias correction) both forms are available
and the docstrings say how they relate.  The definitions and default hyperparameters follow
PyTorch's ``torch.optim``; :func:`clip_by_global_norm` differs from PyTorch's
``clip_grad_norm_`` by its :math:`10^{-6}` in the denominator (see there).

The book teaches the optimizers in the chapter *Gradient descent and its variants*, and
gradient clipping in *Training diagnostics*.
"""
from __future__ import annotations

import math

import numpy as np

from .backend import device_of, get_array_module, to_device
from ._validation import lookup
from ._validation import flag as _flag
from ._validation import number as _number

__all__ = [
    "Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW",
    "get_optimizer", "OPTIMIZER_NAMES",
    "clip_by_global_norm", "clip_by_value",
]


# --- argument checks --------------------------------------------------------------------
def _beta(name: str, value, owner: str) -> float:
    value = _number(name, value, owner)
    if not value < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {value!r}")
    return value


def _as_list(params, grads):
    """``params`` and ``grads`` as two lists of arrays of matching shapes."""
    params = list(params) if isinstance(params, (list, tuple)) else [params]
    grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
    if len(params) != len(grads):
        raise ValueError(f"got {len(params)} parameter arrays but {len(grads)} gradient arrays")
    for k, (p, g) in enumerate(zip(params, grads)):
        if not hasattr(p, "dtype") or p.dtype.kind != "f" or p.ndim == 0:
            raise TypeError(
                f"params[{k}] must be a floating-point array the optimizer can update in place, "
                f"got {type(p).__name__}{'' if not hasattr(p, 'dtype') else ' of dtype ' + str(p.dtype)}"
            )
        if getattr(g, "shape", None) != p.shape:
            raise ValueError(
                f"grads[{k}] has shape {getattr(g, 'shape', None)} but params[{k}] has shape {p.shape}"
            )
    return params, grads


# --- the base class ---------------------------------------------------------------------
class Optimizer:
    r"""Base class: holds the learning rate :math:`\eta`, the step counter and the per-parameter state.

    Subclasses name their state arrays in ``_state_names`` and implement
    ``_update(p, g, state, tmp)``, which changes ``p`` in place; ``tmp`` is a scratch array of
    ``p``'s shape, dtype and backend.

    Chapter: *Gradient descent and its variants*.

    Attributes
    ----------
    t : int
        Number of steps taken since creation or the last :meth:`reset`.
    state : list of dict
        One dict per parameter array (by position), e.g. ``{"m": ..., "v": ...}`` for Adam;
        empty until the first step.
    """

    name = "optimizer"
    _state_names: tuple[str, ...] = ()

    def __init__(self, lr):
        self.lr = lr
        self.t = 0
        self.state: list[dict] = []
        self._scratch: list = []

    @property
    def lr(self) -> float:
        """Learning rate :math:`\\eta`, a finite number ``>= 0``.

        It may be reassigned between steps: that is how a schedule from
        :mod:`nnbook.schedules` acts, ``opt.lr = schedule(epoch)``.
        """
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = _number("lr", value, type(self).__name__)

    def _hyper(self) -> dict:
        return {"lr": self.lr}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyper().items())
        return f"{type(self).__name__}({args})"

    def reset(self) -> None:
        """Forget the state and the step counter (the next step is step 1 again)."""
        self.t = 0
        self.state = []
        self._scratch = []

    def held_arrays(self) -> list:
        r"""Every array the optimizer holds: its state arrays, then its scratch arrays.

        After the first step, for parameters of :math:`P` numbers of :math:`s` bytes each, these
        take

        .. math:: \text{bytes} = (k + 1)\,P\,s,

        :math:`k` state arrays per parameter array (``len(_state_names)``: 0 for SGD, 1 for
        momentum, Nesterov, AdaGrad and RMSProp, 2 for Adam) and one scratch array of the same
        shape, into which each update is computed; AdamW adds its ``mask`` arrays if it has any.
        Empty before the first step and after :meth:`reset`.

        Shapes: a list of arrays, each of the shape of one parameter array (state first,
        by position, then the scratch arrays).
        Chapter: *Hardware acceleration* (the memory of a training step).
        """
        arrays = [a for state in self.state for a in state.values() if a is not None]
        return arrays + list(self._scratch)

    def step(self, params, grads) -> None:
        r"""Take one step: update ``params`` in place from ``grads``.

        Shapes: ``params[k]`` and ``grads[k]`` of equal (any) shape.

        Parameters
        ----------
        params : array or list of arrays
            Parameters :math:`\theta`, changed in place (e.g. ``net.theta``).
        grads : array or list of arrays
            Gradients :math:`\partial J/\partial\theta` of the same shapes (e.g. ``net.grad``).
        """
        params, grads = _as_list(params, grads)
        if not self.state:
            for p in params:
                xp = get_array_module(p)
                self.state.append({name: xp.zeros_like(p) for name in self._state_names})
                self._scratch.append(xp.empty_like(p))
        elif len(self.state) != len(params) or any(
                tmp.shape != p.shape for tmp, p in zip(self._scratch, params)):
            raise ValueError(
                f"{type(self).__name__}.step: got parameters of shapes "
                f"{[p.shape for p in params]}, but the state was built for "
                f"{[tmp.shape for tmp in self._scratch]}: call reset() to start on new parameters"
            )
        self.t += 1
        for p, g, state, tmp in zip(params, grads, self.state, self._scratch):
            self._update(p, g, state, tmp)

    def _update(self, p, g, state, tmp) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


# --- plain gradient descent -------------------------------------------------------------
class SGD(Optimizer):
    r"""Gradient descent :math:`\theta \leftarrow \theta - \eta\, g` :cite:p:`robbins1951stochastic`.

    The same update serves full-batch gradient descent (``g`` from all samples), stochastic
    gradient descent (one sample) and minibatch SGD (a batch): what changes is only the data
    the gradient was computed on.

    .. math:: \theta_t = \theta_{t-1} - \eta\, g_t

    Shapes: ``params`` and ``grads`` of equal shape.
    Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\eta \ge 0`.
    """

    name = "sgd"

    def _update(self, p, g, state, tmp) -> None:
        xp = get_array_module(p)
        xp.multiply(g, self.lr, out=tmp)
        p -= tmp                                    # theta <- theta - lr g


# --- momentum ---------------------------------------------------------------------------
_FORMS = ("sum", "ema")


def _form(form, owner: str) -> str:
    if form not in _FORMS:
        raise ValueError(f"{owner}: form must be 'sum' or 'ema', got {form!r}")
    return form


class Momentum(Optimizer):
    r"""Gradient descent with (heavy-ball) momentum :cite:p:`polyak1964some`.

    ``form="sum"`` (default; PyTorch's ``SGD(momentum=beta)``, :cite:t:`sutskever2013importance`):

    .. math:: v_t = \beta v_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, v_t

    ``form="ema"`` (an exponential moving average of the gradients, as in the sources'
    :math:`v = \beta v + (1-\beta)\nabla L`):

    .. math:: v_t = \beta v_{t-1} + (1-\beta)\, g_t, \qquad \theta_t = \theta_{t-1} - \eta\, v_t

    Both start from :math:`v_0 = 0`.  Then :math:`v^{\text{ema}}_t = (1-\beta)\,v^{\text{sum}}_t`
    for every :math:`t`, so **the EMA form with learning rate** :math:`\eta/(1-\beta)` **takes
    exactly the same steps as the sum form with** :math:`\eta`.  In the sum form a constant
    gradient gives steps growing to :math:`\eta g/(1-\beta)` (ten times :math:`\eta g` for
    :math:`\beta = 0.9`); in the EMA form they approach :math:`\eta g`.

    The sources' other form, :math:`M_k = \beta M_{k-1} + \alpha \nabla L`,
    :math:`\Delta W = -\eta M_k`, is the sum form with learning rate :math:`\eta\alpha`
    (substitute :math:`M = \alpha v`).

    Shapes: ``params`` and ``grads`` of equal shape; the velocity ``state[k]["v"]`` too.
    Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\eta \ge 0`.
    beta : float
        Momentum coefficient :math:`\beta \in [0, 1)` (default 0.9); ``beta=0`` is plain SGD.
    form : {"sum", "ema"}
        Which velocity recurrence (see above).
    """

    name = "momentum"
    _state_names = ("v",)

    def __init__(self, lr, beta=0.9, form="sum"):
        super().__init__(lr)
        self.beta = _beta("beta", beta, type(self).__name__)
        self.form = _form(form, type(self).__name__)

    def _hyper(self) -> dict:
        return {"lr": self.lr, "beta": self.beta, "form": self.form}

    def _update(self, p, g, state, tmp) -> None:
        xp = get_array_module(p)
        v = state["v"]
        v *= self.beta
        if self.form == "sum":
            v += g                                  # v <- beta v + g
        else:
            xp.multiply(g, 1.0 - self.beta, out=tmp)
            v += tmp                                # v <- beta v + (1 - beta) g
        xp.multiply(v, self.lr, out=tmp)
        p -= tmp                                    # theta <- theta - lr v


class Nesterov(Momentum):
    r"""Nesterov's accelerated gradient :cite:p:`nesterov1983method,sutskever2013importance`, as in PyTorch.

    ``form="sum"`` (default; PyTorch's ``SGD(momentum=beta, nesterov=True)``), with
    :math:`g_t = \nabla J(\theta_{t-1})` and :math:`v_0 = 0`:

    .. math:: v_t = \beta v_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\,(g_t + \beta v_t)

    ``form="ema"``: :math:`v_t = \beta v_{t-1} + (1-\beta) g_t`,
    :math:`\theta_t = \theta_{t-1} - \eta\,((1-\beta) g_t + \beta v_t)`; as for
    :class:`Momentum`, it takes the same steps as the sum form when its learning rate is
    :math:`\eta/(1-\beta)`.

    **Relation to the look-ahead form.**  The textbook form evaluates the gradient at the point
    the momentum step alone would reach:

    .. math:: v_t = \beta v_{t-1} + \nabla J(\phi_{t-1} - \eta\beta v_{t-1}), \qquad
              \phi_t = \phi_{t-1} - \eta v_t

    This is the same algorithm: with :math:`\theta_t = \phi_t - \eta\beta v_t` (so
    :math:`\theta_0 = \phi_0`) the recurrence above becomes exactly the one this class runs.
    The parameters stored here are the look-ahead points :math:`\theta_t`; the two sequences
    differ by :math:`\eta\beta v_t` and share their limit.  The sources write
    :math:`N_k = \beta N_{k-1} + \alpha \nabla\mathcal L(W - \beta N_{k-1})`,
    :math:`\Delta W = -\eta N_k`.  With :math:`N = \alpha v` it is the look-ahead form with
    learning rate :math:`\eta\alpha`, provided the gradient is taken at
    :math:`W - \eta\beta N_{k-1}`: the point the momentum part :math:`-\eta\beta N_{k-1}` of
    the step reaches.  The sources' :math:`W - \beta N_{k-1}` is that point when
    :math:`\eta = 1`, that is, when :math:`\alpha` alone is the step size; read it that way.

    Shapes: ``params`` and ``grads`` of equal shape; the velocity ``state[k]["v"]`` too.
    Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\eta \ge 0`.
    beta : float
        Momentum coefficient :math:`\beta \in [0, 1)` (default 0.9).
    form : {"sum", "ema"}
        Which velocity recurrence.
    """

    name = "nesterov"  # same state and hyper-parameters as Momentum; only the update differs

    def _update(self, p, g, state, tmp) -> None:
        xp = get_array_module(p)
        v, beta = state["v"], self.beta
        c = 1.0 if self.form == "sum" else 1.0 - beta
        xp.multiply(g, c, out=tmp)                  # tmp = c g
        v *= beta
        v += tmp                                    # v <- beta v + c g
        tmp *= self.lr
        p -= tmp                                    # theta <- theta - lr c g ...
        xp.multiply(v, self.lr * beta, out=tmp)
        p -= tmp                                    # ... - lr beta v


# --- adaptive learning rates ------------------------------------------------------------
class AdaGrad(Optimizer):
    r"""AdaGrad :cite:p:`duchi2011adaptive`: a per-parameter step size from the sum of squared gradients.

    .. math:: s_t = s_{t-1} + g_t \odot g_t, \qquad
              \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{s_t} + \varepsilon}

    with :math:`s_0 = 0`; square root and division act elementwise and :math:`\varepsilon`
    is added *outside* the square root (as in PyTorch's ``torch.optim.Adagrad``).

    Shapes: ``params`` and ``grads`` of equal shape; ``state[k]["s"]`` too.
    Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\eta \ge 0` (default 0.01, PyTorch's).
    eps : float
        :math:`\varepsilon > 0` (default :math:`10^{-10}`); 0 is refused, since a
        coordinate whose gradients have all been 0 would get the update :math:`0/0`.
    """

    name = "adagrad"
    _state_names = ("s",)

    def __init__(self, lr=0.01, eps=1e-10):
        super().__init__(lr)
        self.eps = _number("eps", eps, type(self).__name__, positive=True)  # 0/0 on a zero gradient

    def _hyper(self) -> dict:
        return {"lr": self.lr, "eps": self.eps}

    def _update(self, p, g, state, tmp) -> None:
        xp = get_array_module(p)
        s = state["s"]
        xp.multiply(g, g, out=tmp)
        s += tmp                                    # s <- s + g^2
        xp.sqrt(s, out=tmp)
        tmp += self.eps
        xp.divide(g, tmp, out=tmp)                  # g / (sqrt(s) + eps)
        tmp *= self.lr
        p -= tmp


class RMSProp(Optimizer):
    r"""RMSProp :cite:p:`tieleman2012rmsprop`: divide by a running root mean square of the gradients.

    .. math:: v_t = \beta v_{t-1} + (1-\beta)\, g_t \odot g_t, \qquad
              \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{v_t} + \varepsilon}

    with :math:`v_0 = 0` and :math:`\varepsilon` outside the square root (PyTorch's
    ``torch.optim.RMSprop``, whose ``alpha`` is this :math:`\beta`).

    Shapes: ``params`` and ``grads`` of equal shape; ``state[k]["v"]`` too.
    Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\eta \ge 0` (default 0.01, PyTorch's).
    beta : float
        Smoothing constant :math:`\beta \in [0, 1)` (default 0.99).
    eps : float
        :math:`\varepsilon > 0` (default :math:`10^{-8}`); 0 is refused (:math:`0/0` on a
        zero gradient).
    """

    name = "rmsprop"
    _state_names = ("v",)

    def __init__(self, lr=0.01, beta=0.99, eps=1e-8):
        super().__init__(lr)
        self.beta = _beta("beta", beta, type(self).__name__)
        self.eps = _number("eps", eps, type(self).__name__, positive=True)  # 0/0 on a zero gradient

    def _hyper(self) -> dict:
        return {"lr": self.lr, "beta": self.beta, "eps": self.eps}

    def _update(self, p, g, state, tmp) -> None:
        xp = get_array_module(p)
        v = state["v"]
        xp.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.beta
        v *= self.beta
        v += tmp                                    # v <- beta v + (1 - beta) g^2
        xp.sqrt(v, out=tmp)
        tmp += self.eps
        xp.divide(g, tmp, out=tmp)                  # g / (sqrt(v) + eps)
        tmp *= self.lr
        p -= tmp


class Adam(Optimizer):
    r"""Adam :cite:p:`kingma2015adam`: momentum on the gradient, RMSProp on its square, bias-corrected.

    .. math::

       m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
       v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t \odot g_t

       \hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
       \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}

    with :math:`m_0 = v_0 = 0` and :math:`t` counted from 1 (PyTorch's ``torch.optim.Adam``).
    Because the averages start at 0 they are too small early on (:math:`m_1 = (1-\beta_1) g_1`);
    dividing by :math:`1-\beta^t` removes that bias, so the first step has size about
    :math:`\eta` in every coordinate.  The sources write Adam without this correction
    (:math:`\theta \leftarrow \theta - \eta\, m_t/(\sqrt{v_t}+\varepsilon)`): that is
    ``bias_correction=False``.

    Shapes: ``params`` and ``grads`` of equal shape; ``state[k]["m"]``, ``state[k]["v"]`` too.
    Chapter: *Gradient descent and its variants*.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\eta \ge 0` (default :math:`10^{-3}`).
    beta1, beta2 : float
        Decay rates of the first and second moments, in :math:`[0, 1)` (defaults 0.9, 0.999).
    eps : float
        :math:`\varepsilon > 0` added outside the square root (default :math:`10^{-8}`);
        0 is refused: a coordinate whose gradients have all been 0 would get :math:`0/0`
        (a tiny value such as ``1e-300`` gives the textbook :math:`\varepsilon = 0` update
        to the last bit everywhere else).
    bias_correction : bool
        Divide by :math:`1-\beta^t` (default ``True``); must be ``True`` or ``False``.
    """

    name = "adam"
    _state_names = ("m", "v")

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction=True):
        super().__init__(lr)
        owner = type(self).__name__
        self.beta1 = _beta("beta1", beta1, owner)
        self.beta2 = _beta("beta2", beta2, owner)
        self.eps = _number("eps", eps, owner, positive=True)  # eps = 0: 0/0 on a zero gradient
        self.bias_correction = _flag("bias_correction", bias_correction, owner)

    def _hyper(self) -> dict:
        hyper = {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}
        if not self.bias_correction:
            hyper["bias_correction"] = False
        return hyper

    def _update(self, p, g, state, tmp) -> None:
        xp = get_array_module(p)
        m, v, b1, b2 = state["m"], state["v"], self.beta1, self.beta2
        m *= b1
        xp.multiply(g, 1.0 - b1, out=tmp)
        m += tmp                                    # m <- b1 m + (1 - b1) g
        v *= b2
        xp.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v += tmp                                    # v <- b2 v + (1 - b2) g^2
        c1 = 1.0 - b1 ** self.t if self.bias_correction else 1.0
        c2 = 1.0 - b2 ** self.t if self.bias_correction else 1.0
        # sqrt(v_hat) + eps = (sqrt(v) + eps sqrt(c2)) / sqrt(c2): both corrections become
        # scalars, one pass over the parameters fewer (Kingma & Ba 2015, end of Sec. 2)
        xp.sqrt(v, out=tmp)
        tmp += self.eps * math.sqrt(c2)
        xp.divide(m, tmp, out=tmp)                  # m / (sqrt(v) + eps sqrt(c2))
        tmp *= self.lr * math.sqrt(c2) / c1         # = lr m_hat / (sqrt(v_hat) + eps)
        p -= tmp


class AdamW(Adam):
    r"""AdamW :cite:p:`loshchilov2019decoupled`: Adam with *decoupled* weight decay.

    Each step first shrinks the parameters by the factor :math:`1 - \eta w_d`, then takes
    the :class:`Adam` step computed from the gradient :math:`g_t` alone:

    .. math::

       m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
       v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t \odot g_t, \qquad
       \hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}

       \theta_t = \theta_{t-1} - \eta\,\Big(\frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}
                  + w_d\, \mu \odot \theta_{t-1}\Big)

    (PyTorch's ``torch.optim.AdamW``, whose ``weight_decay`` is :math:`w_d`).  The mask
    :math:`\mu` holds 1 where a parameter is decayed and 0 where it is not; without a mask
    every parameter is decayed.

    **The paper's form.**  Loshchilov and Hutter (Algorithm 2) write the update with a
    learning rate :math:`\alpha`, a schedule multiplier :math:`\eta_t` and a decay rate
    :math:`\lambda` (their letter) that the learning rate does not multiply:
    :math:`\theta_t = \theta_{t-1} - \eta_t\big(\alpha\,\hat m_t/(\sqrt{\hat v_t}+\varepsilon)
    + \lambda\,\theta_{t-1}\big)`.  This class implements PyTorch's form above;
    the two are the same update with ``lr`` :math:`= \alpha\eta_t` (set before each step)
    and ``weight_decay`` :math:`w_d = \lambda/\alpha`.

    **Why not Adam with an L2 penalty.**  Adding :math:`\tfrac{w_d}{2}\lVert\theta\rVert^2`
    to the cost gives Adam the gradient :math:`g_t + w_d\theta_{t-1}`, which then goes
    through the division by :math:`\sqrt{\hat v_t}`: a parameter with large gradients is
    decayed *less*, and one with no data gradient at all moves by about :math:`\eta` per step
    whatever :math:`w_d` is.  For plain SGD the two are the same thing
    (:math:`\theta - \eta(g + w_d\theta) = (1-\eta w_d)\theta - \eta g`); for Adam they
    are not, and AdamW restores the SGD meaning of weight decay.

    **Biases.**  ``net.theta`` holds every :math:`W^{[l]}` and :math:`b^{[l]}` in one vector, and
    a step sees only that vector.  To decay the weights and not the biases (as
    :func:`~nnbook.regularization.penalty` does), pass
    ``mask=nnbook.regularization.decay_mask(net)``, a vector of 1s at the weights and 0s at
    the biases.  PyTorch's ``AdamW(model.parameters())`` also decays every parameter unless
    the biases are put in a parameter group of their own with ``weight_decay=0``.

    Shapes: ``params`` and ``grads`` of equal shape; ``state[k]["m"]``, ``state[k]["v"]`` and
    the mask too.  Chapter: *Regularization*.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\eta \ge 0` (default :math:`10^{-3}`).
    beta1, beta2 : float
        Decay rates of the moments, in :math:`[0, 1)` (defaults 0.9, 0.999).
    eps : float
        :math:`\varepsilon \ge 0` (default :math:`10^{-8}`).
    weight_decay : float
        :math:`w_d \ge 0` (default 0.01, PyTorch's).  The shrink factor per step is
        :math:`1 - \eta w_d`, so it changes with the learning rate (and its schedule).
    mask : array or list of arrays, optional
        :math:`\mu`, one array per parameter array, of the same shape, with entries in
        :math:`[0, 1]` (1: decay, 0: leave alone); ``None`` (default) decays everything.
    bias_correction : bool
        Divide by :math:`1-\beta^t` (default ``True``).
    """

    name = "adamw"

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, mask=None,
                 bias_correction=True):
        super().__init__(lr, beta1, beta2, eps, bias_correction)
        self.weight_decay = _number("weight_decay", weight_decay, type(self).__name__)
        self.mask = mask

    def _hyper(self) -> dict:
        hyper = super()._hyper()
        hyper["weight_decay"] = self.weight_decay
        if self.mask is not None:
            hyper["mask"] = "given"
        return hyper

    def _masks(self, params) -> list:
        """The mask as one array per parameter array, on its backend and dtype (or ``None``s)."""
        if self.mask is None:
            return [None] * len(params)
        masks = list(self.mask) if isinstance(self.mask, (list, tuple)) else [self.mask]
        if len(masks) != len(params):
            raise ValueError(f"AdamW: got {len(masks)} mask arrays for {len(params)} parameter arrays")
        out = []
        for k, (mu, p) in enumerate(zip(masks, params)):
            if getattr(mu, "shape", None) != p.shape:
                raise ValueError(f"AdamW: mask[{k}] must have the shape {p.shape} of params[{k}], "
                                 f"got {getattr(mu, 'shape', type(mu).__name__)}")
            mu = to_device(mu, device_of(p), p.dtype)
            if not bool(((mu >= 0) & (mu <= 1)).all()):
                raise ValueError(f"AdamW: mask[{k}] must hold values in [0, 1] (1 = decay)")
            out.append(mu)
        return out

    def step(self, params, grads) -> None:
        r"""One step: :math:`\theta \leftarrow \theta - \eta w_d\,\mu\odot\theta`, then the Adam step (in place)."""
        if not self.state:  # allocate the state here, with the masks in it
            plist, _ = _as_list(params, grads)
            for p, mu in zip(plist, self._masks(plist)):
                xp = get_array_module(p)
                self.state.append({"m": xp.zeros_like(p), "v": xp.zeros_like(p), "mask": mu})
                self._scratch.append(xp.empty_like(p))
        super().step(params, grads)

    def _update(self, p, g, state, tmp) -> None:
        xp = get_array_module(p)
        decay = self.lr * self.weight_decay
        if decay:
            mu = state["mask"]
            if mu is None:
                p *= 1.0 - decay                    # theta <- (1 - lr wd) theta
            else:
                xp.multiply(p, mu, out=tmp)
                tmp *= decay
                p -= tmp                            # theta <- theta - lr wd mu theta
        super()._update(p, g, state, tmp)           # the Adam step from g alone


# --- lookup by name ---------------------------------------------------------------------
_OPTIMIZERS = {
    "sgd": SGD, "momentum": Momentum, "nesterov": Nesterov,
    "adagrad": AdaGrad, "rmsprop": RMSProp, "adam": Adam, "adamw": AdamW,
}
_OPT_ALIASES = {"gd": "sgd", "nag": "nesterov", "heavy_ball": "momentum"}
OPTIMIZER_NAMES = tuple(_OPTIMIZERS) + tuple(_OPT_ALIASES)


def get_optimizer(name, **kwargs) -> Optimizer:
    """Make an optimizer by name: ``get_optimizer("adam", lr=1e-3)``, ``get_optimizer("momentum", lr=0.1, beta=0.9)``.

    Names: ``"sgd"`` (also ``"gd"``), ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
    ``"rmsprop"``, ``"adam"``, ``"adamw"``.  An :class:`Optimizer` instance is returned as it is.

    Raises
    ------
    ValueError
        Unknown name; the message lists the known ones.
    """
    if isinstance(name, Optimizer):
        if kwargs:
            raise ValueError(f"got an optimizer instance {name!r} and extra arguments {kwargs}")
        return name
    key = lookup("optimizer", name, OPTIMIZER_NAMES, _OPT_ALIASES, "an Optimizer")
    return _OPTIMIZERS[key](**kwargs)


# --- gradient clipping ------------------------------------------------------------------
def _grad_list(grads) -> list:
    grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
    for k, g in enumerate(grads):
        if not hasattr(g, "dtype") or g.dtype.kind != "f":
            raise TypeError(f"grads[{k}] must be a floating-point array, got {type(g).__name__}")
    return grads


def clip_by_global_norm(grads, max_norm) -> float:
    r"""Rescale the gradients in place so that their joint norm is at most ``max_norm`` :cite:p:`pascanu2013difficulty`.

    .. math:: \lVert g\rVert = \Big(\sum_k \sum_i g_{k,i}^2\Big)^{1/2}, \qquad
              g \leftarrow g\, \frac{c}{\lVert g\rVert} \quad\text{if } \lVert g\rVert > c

    The norm is taken over **all** arrays together, so the direction of the full gradient is
    kept; only its length is capped.  Pass ``net.grad`` to clip a whole network.

    This differs slightly from PyTorch's ``torch.nn.utils.clip_grad_norm_``, which scales by
    :math:`c/(\lVert g\rVert + 10^{-6})`: its clipped norm is
    :math:`c\,\lVert g\rVert/(\lVert g\rVert + 10^{-6})`, a hair below :math:`c`; here it is
    exactly :math:`c` (to rounding), and gradients with :math:`\lVert g\rVert \le c` are left
    untouched.  The two agree to a relative :math:`10^{-6}/\lVert g\rVert`.

    Shapes: any.  Chapter: *Training diagnostics*.

    Parameters
    ----------
    grads : array or list of arrays
        Gradients, changed in place.
    max_norm : float
        The cap :math:`c > 0`.

    Returns
    -------
    float
        The norm :math:`\lVert g\rVert` *before* clipping (worth logging: it is how exploding
        gradients show up).
    """
    max_norm = _number("max_norm", max_norm, "clip_by_global_norm", positive=True)
    grads = _grad_list(grads)
    total = 0.0
    with np.errstate(over="ignore"):  # float32 squares can overflow where the norm does not ...
        for g in grads:
            flat = g.reshape(-1)
            total += float(flat @ flat)
    if not math.isfinite(total):  # ... then sum them again in float64
        total = sum(float((g.reshape(-1).astype(np.float64) ** 2).sum()) for g in grads)
    norm = math.sqrt(total)
    if norm > max_norm:
        scale = max_norm / norm
        for g in grads:
            g *= scale
    return norm


def clip_by_value(grads, clip_value) -> float:
    r"""Clip every gradient entry to :math:`[-c, c]` in place.

    .. math:: g_i \leftarrow \min(\max(g_i, -c), c)

    Unlike :func:`clip_by_global_norm` this changes the gradient's direction.

    Shapes: any.  Chapter: *Training diagnostics*.

    Parameters
    ----------
    grads : array or list of arrays
        Gradients, changed in place.
    clip_value : float
        :math:`c > 0`.

    Returns
    -------
    float
        The largest :math:`|g_i|` before clipping.
    """
    c = _number("clip_value", clip_value, "clip_by_value", positive=True)
    grads = _grad_list(grads)
    largest = 0.0
    for g in grads:
        xp = get_array_module(g)
        if g.size:
            largest = max(largest, float(xp.abs(g).max()))
        xp.clip(g, -c, c, out=g)
    return largest
