"""When the printed theory applies: warnings with numbers, for results, analyses and the 202 of POST /v1/jobs.

Each warning is {"code", "message", "value", "threshold"} (API.md `validity.warnings`):
- `diverged`: particles whose coordinates overflowed (value: their fraction); they are excluded from everything;
- `unstable_lr`: lr * lambda_max >= 2 at a minimum: the chain cannot settle there (value: the largest product);
- `unstable_second_moment`: minibatch_sgd with lr * lambda_max < 2, but the batch Hessian's noise makes the
  second moment of the linearised chain grow (value: the spectral radius of S -> E[(I - lr H_b) S (I - lr H_b)^T]);
- `large_lr`: lr * lambda_max >= LARGE_LR: continuous-time numbers (Gibbs, Kramers, exact MFPT, zero-flux density)
  are biased by about lr * lambda / 2; `local_laws` and a density_evolution job give the discrete chain exactly;
- `schedule`: the learning rate is scheduled and the theory uses the last step's lr (value);
- `low_barrier`: dL / T < 2 for some barrier: no separation of time scales, Kramers does not apply;
- `state_dependent_noise`: the noise is data noise (minibatch or gradient_covariance): its temperature is
  lr Sigma/(2B), not the top-level lr/(2B); when Sigma varies with w (or is anisotropic) the Gibbs law is not the
  stationary law (value: the largest relative change of Sigma over the box, 0 for constant noise);
- `no_minimum`: the analysis found no minimum on the box: basins, exit times and local laws are empty;
- `correlated_noise`: minibatch_sgd with epoch-wise shuffles (replacement false, at least 2 batches per epoch): the
  noises of one epoch's steps are negatively correlated, so the Markov-kernel theory (stationary, gibbs, exit times,
  not_mixed) does not hold; local_laws uses the epoch-shuffle covariance (value: the independent-step variance over
  the epoch-shuffle variance at the deepest minimum);
- `non_gaussian_noise`: minibatch_sgd on a landscape with barriers: exit times use the Gaussian (diffusion)
  approximation of the batch noise, which can be far off for small B (value: B);
- `not_mixed`: the run is shorter than the slowest relaxation time (value, in steps): the histogram is not yet
  the stationary law, and a mismatch with Gibbs or `stationary` says nothing about the theory.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import scipy.linalg

from ..core.dynamics.schedules import final_lr, lr_series
from ..core.landscapes.base import Landscape
from ..spec.schedule import ScheduleSpec
from .landscape_analysis import LandscapeAnalysis
from .noise import NoiseModel, sigma_variation

UNSTABLE_LR = 2.0
LARGE_LR = 0.2
LOW_BARRIER = 2.0
SIGMA_CONSTANT_RTOL = 1e-6   # Sigma's relative change below this is rounding (the per-sample gradients cancel)


def warning(code: str, message: str, value: float | None = None, threshold: float | None = None) -> dict:
    """One validity warning."""
    return {"code": code, "message": message, "value": None if value is None else float(value),
            "threshold": None if threshold is None else float(threshold)}


def _lr_max(dynamics: Any, steps: int) -> float:
    if isinstance(dynamics.lr, ScheduleSpec):
        return float(lr_series(dynamics.lr, max(steps, 1)).max())
    return float(dynamics.lr)


def _second_moment(dynamics: Any, landscape: Landscape | None, analysis: LandscapeAnalysis, lr: float
                   ) -> tuple[float, int] | None:
    """(largest spectral radius of the second-moment map over the minima, at which minimum) for minibatch_sgd."""
    from ..core.landscapes.base import FiniteSumLandscape
    from .local_laws import hessian_noise_moment, second_moment_radius
    from .noise import noise_model
    if landscape is None or dynamics.method != "minibatch_sgd" or not isinstance(landscape, FiniteSumLandscape):
        return None
    model = noise_model(dynamics, landscape, lr)
    locs = np.array([m.location for m in analysis.minima], dtype=float).reshape(len(analysis.minima), -1)
    hess = landscape.hessian(locs)
    radii = [second_moment_radius(hess[k], hessian_noise_moment(landscape, model, locs[k], hess[k]), lr,
                                  model.batch_size, model.factor) for k in range(len(locs))]
    k = int(np.argmax(radii))
    return radii[k], analysis.minima[k].index


def step_size_warnings(dynamics: Any, steps: int, analysis: LandscapeAnalysis, landscape: Landscape | None = None
                       ) -> list[dict]:
    """The warnings known before anything runs: unstable_lr, unstable_second_moment (minibatch_sgd, given the
    landscape), large_lr, schedule, no_minimum (the 202's list)."""
    out: list[dict] = []
    if not analysis.minima:
        out.append(warning("no_minimum", "the analysis found no minimum on the box: there are no basins, exit "
                           "times, local laws or stationary basin fractions; particles may run off to infinity"))
        return out
    lam = max(float(np.max(m.hessian_eigenvalues)) for m in analysis.minima)
    worst = max(analysis.minima, key=lambda m: float(np.max(m.hessian_eigenvalues)))
    lr_hi = _lr_max(dynamics, steps)
    lr_end = final_lr(dynamics.lr, steps)
    if lr_hi * lam >= UNSTABLE_LR:
        out.append(warning("unstable_lr", f"lr * lambda_max = {lr_hi * lam:.3g} >= 2 at minimum {worst.index} "
                           f"(lr {lr_hi:g}, lambda_max {lam:.4g}): gradient descent oscillates away from it, "
                           "particles cannot settle there and may diverge", lr_hi * lam, UNSTABLE_LR))
    elif (second := _second_moment(dynamics, landscape, analysis, lr_hi)) is not None and second[0] >= 1.0:
        out.append(warning("unstable_second_moment", f"lr * lambda_max = {lr_hi * lam:.3g} < 2, but the per-sample "
                           f"Hessians differ: at minimum {second[1]} the second moment of minibatch SGD's linearised "
                           "chain, S -> E[(I - lr H_b) S (I - lr H_b)^T], grows by a factor "
                           f"{second[0]:.4g} >= 1 per step (H_b the batch Hessian): particles cannot settle there "
                           "and may diverge", second[0], 1.0))
    elif lr_end * lam >= LARGE_LR and dynamics.method != "gradient_descent":
        out.append(warning("large_lr", f"lr * lambda_max = {lr_end * lam:.3g} at minimum {worst.index}: the "
                           "continuous-time laws (Gibbs, zero-flux density) are biased by about lr * lambda / 2 = "
                           f"{lr_end * lam / 2:.2g}, and the continuous-time exit times (Kramers, exact MFPT) can be "
                           "off by orders of magnitude at this lr * lambda (e.g. Kramers 46,797 steps vs 139 "
                           "measured on the tilted double well at lr * lambda = 1.66). local_laws and a "
                           "density_evolution job give the discrete chain's exact stationary laws; "
                           "exit_times.method \"splitting\" measures exit times on the real chain",
                           lr_end * lam, LARGE_LR))
    if isinstance(dynamics.lr, ScheduleSpec):
        out.append(warning("schedule", f"the learning rate is scheduled; the theory uses the last step's lr "
                           f"{lr_end:g} as if it had been constant", lr_end))
    return out


def relaxation_steps(analysis: LandscapeAnalysis, mean_exit_steps: dict[tuple[int, int], float | None],
                     model: NoiseModel) -> float | None:
    """Slowest relaxation time in steps: the inverse spectral gap of the basin-hopping chain with rates
    1/mean exit time between adjacent minima, or the slowest local relaxation 1/(lr lambda_min) when larger."""
    lam_min = min((float(np.min(m.hessian_eigenvalues)) for m in analysis.minima), default=None)
    local = 1.0 / (model.lr * lam_min) if lam_min and lam_min > 0 and model.lr > 0 else None
    k = len(analysis.minima)
    glob = None
    if k > 1:
        q = np.zeros((k, k))
        for (i, j), tau in mean_exit_steps.items():
            if tau is not None and tau > 0:
                q[i, j] += 1.0 / tau
        if q.any():
            q -= np.diag(q.sum(axis=1))
            ev = np.sort(np.real(scipy.linalg.eigvals(q)))
            nonzero = -ev[:-1]                # the largest eigenvalue is 0
            gap = float(nonzero.min()) if nonzero.size else 0.0
            glob = 1.0 / gap if gap > 0 else float("inf")
        else:
            glob = float("inf")
    times = [t for t in (local, glob) if t is not None]
    return max(times) if times else None


def noise_warnings(model: NoiseModel, noise: dict | None, landscape: Landscape, analysis: LandscapeAnalysis
                   ) -> list[dict]:
    """state_dependent_noise and low_barrier, from the noise block's temperatures."""
    out: list[dict] = []
    if noise is None or model.kind == "none":
        return out
    temps = {m["index"]: m["temperature_scalar"] for m in noise["minima"]}
    if model.state_dependent:
        variation = sigma_variation(model, landscape, analysis)
        sig0 = np.asarray(noise["minima"][0]["covariance"]) if noise["minima"] else None
        anisotropic = sig0 is not None and sig0.shape[0] > 1 and not np.allclose(
            sig0, np.trace(sig0) / sig0.shape[0] * np.eye(sig0.shape[0]), rtol=SIGMA_CONSTANT_RTOL,
            atol=SIGMA_CONSTANT_RTOL * float(np.abs(sig0).max()))
        deepest = min(analysis.minima, key=lambda m: m.loss).index if analysis.minima else None
        t_deep = temps.get(deepest)
        silent = sig0 is not None and not np.any(np.asarray([m["covariance"] for m in noise["minima"]
                                                              + noise["saddles"]]))
        if silent and variation == 0.0:
            out.append(warning("state_dependent_noise", "the gradient noise is zero at every critical point (e.g. "
                               "the batch is the whole data set: B = n without replacement, or every row has the "
                               "same gradient): there is no noise, the dynamics is gradient descent and there is no "
                               "Gibbs law or noise-driven exit", variation))
            return out
        shape = (f"varies with w (relative change of Sigma up to {variation:.3g} over the box)"
                 if variation > SIGMA_CONSTANT_RTOL else "is constant but anisotropic" if anisotropic
                 else "is constant and isotropic")
        law = ("the Gibbs law exp(-L/T) is not this dynamics' stationary law; see `stationary` and `local_laws`"
               if variation > SIGMA_CONSTANT_RTOL or anisotropic else "the Gibbs law holds at the noise temperature")
        out.append(warning("state_dependent_noise", f"the gradient noise is data noise and {shape}: {law}. "
                           + (f"Its temperature at the deepest minimum is {t_deep:.4g}, not lr/(2B) = "
                              f"{model.scale:.4g} (the top-level temperature and beta keep lr/(2B)); `gibbs` uses "
                              f"{t_deep:.4g}" if t_deep is not None else ""), variation))
    if model.correlated:
        out.append(_correlated_warning(model, landscape, analysis))
    if model.kind == "minibatch" and analysis.barriers:
        out.append(_non_gaussian_warning(model, landscape, analysis))
    ratios = [(b.height / temps[b.from_], b) for b in analysis.barriers if temps.get(b.from_, 0) > 0]
    if ratios:
        r, b = min(ratios, key=lambda x: x[0])
        if r < LOW_BARRIER:
            out.append(warning("low_barrier", f"barrier {b.from_}->{b.to} is {r:.3g} temperatures high (< 2): "
                               "no separation of time scales, Kramers' formula does not apply and basin fractions "
                               "depend on the box", r, LOW_BARRIER))
    return out


def _correlated_warning(model: NoiseModel, landscape: Landscape, analysis: LandscapeAnalysis) -> dict:
    """correlated_noise: the independent-step and epoch-shuffle variances at the deepest minimum."""
    from .local_laws import epoch_shuffle_covariance, lyapunov_covariance
    ratio, numbers = None, ""
    if analysis.minima:
        m = min(analysis.minima, key=lambda x: x.loss)
        loc = np.asarray(m.location, dtype=float).reshape(1, -1)
        h, sig = landscape.hessian(loc)[0], model.covariance(landscape, loc)[0]
        markov = lyapunov_covariance(h, sig, model.lr, model.batch_size)
        epoch = epoch_shuffle_covariance(h, sig / model.factor, model.lr, model.batch_size, model.n_samples)
        if markov is not None and epoch is not None and np.trace(epoch) > 0:
            ratio = float(np.trace(markov) / np.trace(epoch))
            numbers = (f" At minimum {m.index} the variance (trace) with independent steps would be "
                       f"{np.trace(markov):.4g}, with epoch-wise shuffles it is {np.trace(epoch):.4g} at epoch "
                       f"boundaries ({ratio:.3g}x smaller).")
    return warning("correlated_noise", f"minibatch_sgd without replacement shuffles the {model.n_samples} rows into "
                   f"{model.epoch_steps} disjoint batches per epoch: the noises of one epoch's steps sum to about "
                   "zero and are negatively correlated, so the Markov-kernel theory (stationary, gibbs, exit times, "
                   "not_mixed), which assumes independent steps, does not hold; Sigma keeps the per-step factor "
                   f"(n-B)/(n-1) = {model.factor:.4g}. local_laws gives the epoch-shuffle covariance (exact for a "
                   "quadratic with equal per-sample Hessians)." + numbers, ratio)


def _non_gaussian_warning(model: NoiseModel, landscape: Landscape, analysis: LandscapeAnalysis) -> dict:
    """non_gaussian_noise: exit times of minibatch SGD use the Gaussian (diffusion) approximation of its noise."""
    from .noise import per_sample_excess_kurtosis
    m = min(analysis.minima, key=lambda x: x.loss)
    kurt = per_sample_excess_kurtosis(landscape, m.location)
    shown = (f"; the per-sample gradient noise at minimum {m.index} has excess kurtosis {kurt:.3g} (0 for a "
             f"Gaussian; a batch mean of B i.i.d. rows has {kurt / model.batch_size:.3g})" if kurt is not None else "")
    return warning("non_gaussian_noise", f"minibatch_sgd with B = {model.batch_size}: the exit-time theory "
                   "(exact_method, kramers_formula) replaces the batch-gradient noise by a Gaussian with the same "
                   f"covariance (the diffusion approximation){shown}. A rare exit is made of large noise kicks, where "
                   "the real (discrete, bounded) noise differs from the Gaussian: with small B measured exit times "
                   "can differ substantially (e.g. 9322 steps measured vs 7948 exact-diffusion for a 4-row finite "
                   "sum at lr 0.05, B 1; 140,011 vs 97,536 at a higher barrier, the gap growing with the barrier). "
                   "exit_times.method \"splitting\" measures them on the real dynamics", model.batch_size)


def validity_block(diverged: int, particles: int, warnings: Sequence[dict]) -> dict[str, Any]:
    """API.md's `validity` block, the `diverged` warning first when particles diverged."""
    frac = diverged / particles if particles else 0.0
    first = []
    if diverged:
        first.append(warning("diverged", f"{diverged} of {particles} particles diverged ({100 * frac:.3g}%); they "
                             "are excluded from histograms, basins, local laws and exit times", frac, 0.0))
    return {"diverged": {"count": int(diverged), "fraction": float(frac)}, "warnings": first + list(warnings)}


def not_mixed_warning(relaxation: float | None, steps: int, biased_by: Sequence[dict] = ()) -> list[dict]:
    """not_mixed when the run is shorter than the slowest relaxation time; `biased_by`: the other warnings, whose
    large_lr / correlated_noise / non_gaussian_noise make the Kramers rates behind that time unreliable."""
    if relaxation is None or relaxation <= steps:
        return []
    shown = f"{relaxation:.3g}" if np.isfinite(relaxation) else "infinitely many"
    why = {"large_lr": "continuous-time Kramers rates, biased by orders of magnitude at this lr (large_lr)",
           "correlated_noise": "Markov-kernel Kramers rates, which epoch-wise shuffles break (correlated_noise)",
           "non_gaussian_noise": "the Gaussian (diffusion) approximation of the minibatch noise "
                                 "(non_gaussian_noise)"}
    caveats = [why[w["code"]] for w in biased_by if w["code"] in why]
    caveat = (" This relaxation time comes from " + "; and ".join(caveats) + ": it may be far off, and the "
              "run may be mixed.") if caveats else ""
    return [warning("not_mixed", f"the slowest relaxation takes {shown} steps, more than the {steps} steps run: the "
                    "histogram is not yet the stationary law, so a mismatch with gibbs or stationary says nothing "
                    "about the theory." + caveat, relaxation if np.isfinite(relaxation) else None, steps)]

