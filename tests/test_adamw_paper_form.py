"""nnbook.AdamW (PyTorch's form) against Loshchilov & Hutter's Algorithm 2, written out.

The paper: theta_t = theta_{t-1} - eta_t * (alpha * m_hat / (sqrt(v_hat) + eps) + lam * theta_{t-1}).
PyTorch / nnbook: theta_t = theta_{t-1} - lr * (m_hat / (sqrt(v_hat) + eps) + wd * theta_{t-1}).
Same update when lr = alpha * eta_t and wd = lam / alpha.
"""
import numpy as np
import pytest

import nnbook as nb


def paper_adamw(theta, grad_fn, alpha, lam, schedule, beta1=0.9, beta2=0.999, eps=1e-8):
    theta = theta.copy()
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, eta_t in enumerate(schedule, start=1):
        g = grad_fn(theta, t)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        theta = theta - eta_t * (alpha * m_hat / (np.sqrt(v_hat) + eps) + lam * theta)
    return theta


def nnbook_adamw(theta, grad_fn, lr_of_step, weight_decay):
    theta = theta.copy()
    opt = nb.AdamW(lr=lr_of_step[0], weight_decay=weight_decay)
    for t, lr in enumerate(lr_of_step, start=1):
        opt.lr = lr
        opt.step(theta, grad_fn(theta, t))
    return theta


def _setup(seed):
    rng = np.random.default_rng(seed)
    theta0 = rng.normal(size=7)
    noise = rng.normal(size=(100, 7))
    A = rng.normal(size=(7, 7))
    H = A @ A.T / 7 + np.eye(7)                  # a positive definite quadratic

    def grad_fn(theta, t):
        return H @ theta + noise[t - 1]
    return theta0, grad_fn


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("alpha,lam", [(1e-2, 1e-3), (3e-3, 0.05), (0.1, 1e-4)])
def test_paper_form_equals_nnbook_with_converted_decay(seed, alpha, lam):
    theta0, grad_fn = _setup(seed)
    T = 60
    schedule = 0.5 * (1 + np.cos(np.pi * np.arange(T) / T))   # cosine multiplier eta_t
    paper = paper_adamw(theta0, grad_fn, alpha, lam, schedule)
    ours = nnbook_adamw(theta0, grad_fn, alpha * schedule, lam / alpha)
    np.testing.assert_allclose(ours, paper, rtol=1e-12, atol=1e-14)


def test_unconverted_decay_differs():
    # copying the paper's lambda into weight_decay gives a decay alpha times weaker
    theta0, _ = _setup(3)
    zero = lambda theta, t: np.zeros_like(theta)  # noqa: E731  (only the decay moves theta)
    alpha, lam, T = 1e-2, 0.05, 40
    schedule = np.ones(T)
    paper = paper_adamw(theta0, zero, alpha, lam, schedule)
    np.testing.assert_allclose(paper, theta0 * (1 - lam) ** T, rtol=1e-12)
    converted = nnbook_adamw(theta0, zero, alpha * schedule, lam / alpha)
    copied = nnbook_adamw(theta0, zero, alpha * schedule, lam)
    np.testing.assert_allclose(converted, paper, rtol=1e-12)
    np.testing.assert_allclose(copied, theta0 * (1 - alpha * lam) ** T, rtol=1e-12)
    assert np.abs(copied - paper).max() > 0.1 * np.abs(theta0).max()
