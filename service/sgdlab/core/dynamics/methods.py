"""One SGD step per method, in place on a block of particles (rows of w), with no Python work per particle.

- langevin (isotropic):          w <- w - lr grad L(w) + (lr / sqrt(B)) xi,           xi ~ N(0, I)
- langevin (gradient_covariance): w <- w - lr grad L(w) + (lr / sqrt(B)) Sigma(w)^(1/2) xi, Sigma the per-sample
                                  gradient covariance, sampled without forming it as n^(-1/2) sum_i a_i (g_i - g_mean)
- minibatch_sgd:                 w <- w - lr mean_{i in batch} grad l_i(w), B indices per particle per step, with
                                  replacement or from per-particle epoch-wise shuffles (drop-last epochs)
- gradient_descent:              w <- w - lr grad L(w)
"""

from __future__ import annotations

import math

import numpy as np

from ...spec.dynamics import DynamicsSpec
from ..errors import SpecError
from ..landscapes.base import FiniteSumLandscape, Landscape


class Method:
    """A stepper bound to a landscape and a block size; owns its scratch buffers (allocated once per block)."""

    def __init__(self, landscape: Landscape, dynamics: DynamicsSpec, block: int):
        self.landscape = landscape
        self.batch_size = dynamics.batch_size
        self.inv_sqrt_b = 1.0 / math.sqrt(dynamics.batch_size)
        d = landscape.dim
        self.g = np.empty((block, d))
        self.xi = np.empty((block, d))

    def start_block(self, n: int, rng: np.random.Generator) -> None:
        """Prepare per-block state (e.g. epoch shuffles) for n particles."""

    def step(self, w: np.ndarray, t: int, lr: float, rng: np.random.Generator) -> None:
        """Advance the block w (n, d) by one step at learning rate lr, in place."""
        raise NotImplementedError


class GradientDescent(Method):
    def step(self, w, t, lr, rng):
        g = self.landscape.grad(w, out=self.g[: len(w)])
        g *= lr
        w -= g


class Langevin(Method):
    def step(self, w, t, lr, rng):
        n = len(w)
        g = self.landscape.grad(w, out=self.g[:n])
        g *= lr
        w -= g
        xi = self.xi[:n]
        rng.standard_normal(out=xi)
        xi *= lr * self.inv_sqrt_b
        w += xi


class LangevinGradientCovariance(Method):
    def __init__(self, landscape: FiniteSumLandscape, dynamics: DynamicsSpec, block: int):
        super().__init__(landscape, dynamics, block)
        self.all_idx = np.broadcast_to(np.arange(landscape.n_samples), (block, landscape.n_samples))
        self.inv_sqrt_n = 1.0 / math.sqrt(landscape.n_samples)

    def step(self, w, t, lr, rng):
        n = len(w)
        gi = self.landscape.sample_grad(w, self.all_idx[:n])          # (n, N, d)
        gbar = gi.mean(axis=1)                                         # (n, d)
        a = rng.standard_normal(gi.shape[:2])                          # (n, N)
        noise = np.einsum("nk,nkd->nd", a, gi) - a.sum(axis=1)[:, None] * gbar
        noise *= lr * self.inv_sqrt_b * self.inv_sqrt_n
        gbar *= lr
        w -= gbar
        w += noise


class MinibatchSGD(Method):
    def __init__(self, landscape: FiniteSumLandscape, dynamics: DynamicsSpec, block: int):
        super().__init__(landscape, dynamics, block)
        self.n_samples = landscape.n_samples
        self.replacement = dynamics.replacement
        if self.batch_size > self.n_samples:
            raise SpecError(f"minibatch_sgd: batch_size must be at most the {self.n_samples} data rows",
                            "dynamics.batch_size")
        self.per_epoch = self.n_samples // self.batch_size
        self.perm: np.ndarray | None = None

    def start_block(self, n, rng):
        self.perm = None

    def _batch(self, n: int, t: int, rng: np.random.Generator) -> np.ndarray:
        if self.replacement:
            return rng.integers(0, self.n_samples, size=(n, self.batch_size))
        k = t % self.per_epoch
        if k == 0 or self.perm is None:
            base = np.broadcast_to(np.arange(self.n_samples, dtype=np.int32), (n, self.n_samples))
            self.perm = rng.permuted(base, axis=1)
        return self.perm[:, k * self.batch_size:(k + 1) * self.batch_size]

    def step(self, w, t, lr, rng):
        n = len(w)
        g = self.landscape.batch_grad(w, self._batch(n, t, rng), out=self.g[:n])
        g *= lr
        w -= g


def block_size_for(landscape: Landscape, dynamics: DynamicsSpec, target_floats: int = 1 << 14) -> int:
    """Particles per block so that the per-step working set stays near `target_floats` doubles (cache-sized).

    A block's arrays (positions, noise, gradient, scratch) must fit one core's own L2 cache: at 1 << 16 doubles
    they spilled into the shared L3, and two workers each ran at half speed (1.13x for two concurrent jobs
    against 1.96x at 1 << 14; one core alone is as fast either way).
    Depends only on the spec (never on workers), so the random streams and results do not either.
    """
    d = landscape.dim
    per_particle = d
    if dynamics.method == "minibatch_sgd":
        per_particle = d * dynamics.batch_size + (0 if dynamics.replacement else landscape.n_samples // 2)
    elif dynamics.noise == "gradient_covariance":
        per_particle = d * landscape.n_samples
    return int(max(64, min(1 << 15, target_floats // max(per_particle, 1))))


def make_method(landscape: Landscape, dynamics: DynamicsSpec, block: int) -> Method:
    """The stepper for a dynamics block; checks that finite-sum methods have a finite-sum landscape."""
    finite = isinstance(landscape, FiniteSumLandscape)
    if dynamics.method == "gradient_descent":
        return GradientDescent(landscape, dynamics, block)
    if dynamics.method == "minibatch_sgd":
        if not finite:
            raise SpecError("minibatch_sgd needs a finite_sum landscape", "dynamics.method")
        return MinibatchSGD(landscape, dynamics, block)
    if dynamics.noise == "gradient_covariance":
        if not finite:
            raise SpecError("gradient_covariance noise needs a finite_sum landscape", "dynamics.noise")
        return LangevinGradientCovariance(landscape, dynamics, block)
    return Langevin(landscape, dynamics, block)
