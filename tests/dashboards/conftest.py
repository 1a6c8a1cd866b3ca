"""Realistic result documents (API.md "Result document") for the dashboard tests: 1-D with exit times, 2-D, and a
run whose exit-time observer saw no event; plus a `live_api` fixture that uses the real server once it exists."""

from __future__ import annotations

import copy
import importlib.util

import numpy as np
import pytest

BETA_1D = 10.0  # lr = 0.2, B = 1


def double_well(w: np.ndarray) -> np.ndarray:
    """L(w) = w^4/4 - w^2/2 + 0.1 w (the fixture's 1-D landscape)."""
    return w ** 4 / 4 - w ** 2 / 2 + 0.1 * w


def _gibbs_on_bins(loss, edges: np.ndarray, beta: float) -> np.ndarray:
    """Bin-averaged Gibbs density exp(-beta L)/Z on 1-D bins (Z over the range)."""
    fine = np.linspace(edges[0], edges[-1], 20 * (len(edges) - 1) + 1)
    rho = np.exp(-beta * (loss(fine) - loss(fine).min()))
    rho /= np.trapezoid(rho, fine)
    mids = 0.5 * (fine[:-1] + fine[1:])
    cell = np.minimum(((mids - edges[0]) / (edges[1] - edges[0])).astype(int), len(edges) - 2)
    seg = 0.5 * (rho[:-1] + rho[1:]) * np.diff(fine)
    return np.bincount(cell, weights=seg, minlength=len(edges) - 1) / np.diff(edges)


def _hist(samples: np.ndarray, edges: np.ndarray) -> dict:
    counts, _ = np.histogram(samples, bins=edges)
    return {"edges": [edges.tolist()], "counts": counts.tolist(),
            "density": (counts / counts.sum() / np.diff(edges)).tolist()}


def _kaplan_meier(times: np.ndarray, censor_at: int) -> dict:
    escaped = np.sort(times[times <= censor_at])
    n = len(times)
    steps = [0] + escaped.astype(int).tolist() + [censor_at]
    prob = [1.0] + (1.0 - np.arange(1, len(escaped) + 1) / n).tolist() + [1.0 - len(escaped) / n]
    return {"steps": steps, "probability": prob}


def make_result_1d(seed: int = 0, particles: int = 2000, steps: int = 2000) -> dict:
    """A 1-D double-well run with every observer on."""
    rng = np.random.default_rng(seed)
    roots = np.sort(np.roots([1.0, 0.0, -1.0, 0.1]).real)
    minima, saddle = roots[[0, 2]], roots[1]
    edges = np.linspace(-2.0, 2.0, 61)
    fine = np.linspace(-2, 2, 4001)
    cdf = np.cumsum(np.exp(-BETA_1D * (double_well(fine) - double_well(fine).min())))
    samples = np.interp(rng.random(particles), cdf / cdf[-1], fine)
    gibbs = _gibbs_on_bins(double_well, edges, BETA_1D)
    left = np.mean(samples < saddle)
    theory_left = float(np.sum(gibbs[:30] * np.diff(edges)[:30]))
    times = rng.exponential(800.0, size=particles // 4)
    n_esc = int(np.sum(times <= steps))
    trace_steps = np.arange(0, steps + 1, 100)
    mean = 0.5 * np.exp(-trace_steps / 300.0) - 0.2
    cells = np.linspace(-2, 2, 21)
    p_right = 1.0 / (1.0 + np.exp(-8 * (0.5 * (cells[:-1] + cells[1:]) - saddle)))
    traj_steps = np.arange(0, steps + 1, 100)
    paths = np.cumsum(rng.normal(0, 0.1, size=(4, len(traj_steps))), axis=1) + rng.uniform(-1.5, 1.5, (4, 1))
    return {
        "job_id": "job-1d", "seed": seed,
        "spec": {"kind": "simulation", "landscape": {"expression": "w**4/4 - w**2/2 + 0.1*w", "variables": ["w"]},
                 "dynamics": {"method": "langevin", "lr": 0.2, "batch_size": 1}, "particles": particles,
                 "steps": steps, "seed": seed,
                 "observe": {"histogram": {"bins": 60, "range": [[-2, 2]], "snapshots": [100, 500]},
                             "exit_times": {"from": 0, "to": 1}, "loss_trace": {"every": 100},
                             "trajectories": {"count": 4, "every": 100}, "arrival": {"bins": 20}}},
        "landscape": {"dim": 1,
                      "minima": [{"index": k, "location": [float(m)], "loss": float(double_well(m)),
                                  "hessian_eigenvalues": [float(3 * m * m - 1)]} for k, m in enumerate(minima)],
                      "saddles": [{"location": [float(saddle)], "loss": float(double_well(saddle)),
                                   "hessian_eigenvalues": [float(3 * saddle ** 2 - 1)]}],
                      "barriers": [{"from": 0, "to": 1, "height": float(double_well(saddle) - double_well(minima[0]))}]},
        "temperature": 1 / BETA_1D, "beta": BETA_1D,
        "histograms": {"final": _hist(samples, edges),
                       "snapshots": [{"step": 100, **_hist(rng.uniform(-1.5, 1.5, particles), edges)},
                                     {"step": 500, **_hist(rng.normal(0, 0.8, particles), edges)}],
                       "time_average": _hist(samples + rng.normal(0, 0.02, particles), edges)},
        "basins": {"final": [{"basin": 0, "fraction": float(left), "stderr": float(np.sqrt(left * (1 - left) / particles))},
                             {"basin": 1, "fraction": float(1 - left), "stderr": float(np.sqrt(left * (1 - left) / particles))}],
                   "snapshots": [{"step": 100, "fractions": [0.5, 0.5]}, {"step": 500, "fractions": [0.6, 0.4]}]},
        "arrival": {"edges": [cells.tolist()], "probability": np.stack([1 - p_right, p_right], 1).tolist()},
        "gibbs": {"beta_theory": BETA_1D, "beta_fit": 39.2, "beta_fit_stderr": 0.9, "kl_divergence": 0.004,
                  "total_variation": 0.03, "chi2_pvalue": 0.41, "basin_fractions_theory": [theory_left, 1 - theory_left],
                  "density_theory": gibbs.tolist()},
        "exit_times": {"from": 0, "to": 1, "particles": particles // 4, "escaped": n_esc,
                       "censored": particles // 4 - n_esc, "mean_steps": 812.0, "ci95": [760.0, 870.0],
                       "median_steps": 560.0, "survival": _kaplan_meier(times, steps),
                       "kramers_steps": 700.0, "exact_steps": 790.0},
        "loss_trace": {"steps": trace_steps.tolist(), "mean": mean.tolist(), "std": (0.1 + 0 * mean).tolist(),
                       "quantiles": {"0.1": (mean - 0.12).tolist(), "0.5": (mean - 0.01).tolist(),
                                     "0.9": (mean + 0.15).tolist()}},
        "trajectories": {"steps": traj_steps.tolist(), "paths": paths.tolist()},
        "performance": {"particle_steps": particles * steps, "seconds": 0.5,
                        "particle_steps_per_second": particles * steps / 0.5},
    }


def make_result_zero_exits() -> dict:
    """The 1-D run, but the exit-time observer saw no escape (a flat survival curve, no fit)."""
    result = copy.deepcopy(make_result_1d(seed=1))
    n = result["exit_times"]["particles"]
    result["exit_times"].update({"escaped": 0, "censored": n, "mean_steps": None, "ci95": [5000.0, None],
                                 "median_steps": None, "survival": {"steps": [0, 2000], "probability": [1.0, 1.0]}})
    return result


def quartic_2d(w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """L(w1, w2) = (w1^2 - 1)^2 + w2^2 / 2 (the fixture's 2-D landscape)."""
    return (w1 ** 2 - 1) ** 2 + 0.5 * w2 ** 2


def make_result_2d(seed: int = 2, particles: int = 3000, steps: int = 1000) -> dict:
    """A 2-D two-minimum run: histogram [30, 25] bins, basins, gibbs, arrival and trajectories."""
    rng = np.random.default_rng(seed)
    beta = 8.0
    e1, e2 = np.linspace(-2, 2, 31), np.linspace(-1.5, 1.5, 26)
    c1, c2 = 0.5 * (e1[:-1] + e1[1:]), 0.5 * (e2[:-1] + e2[1:])
    g1, g2 = np.meshgrid(c1, c2, indexing="ij")
    rho = np.exp(-beta * quartic_2d(g1, g2))
    area = np.diff(e1)[0] * np.diff(e2)[0]
    rho /= rho.sum() * area
    counts = rng.multinomial(particles, (rho * area).ravel())
    density = counts / particles / area
    cells1, cells2 = np.linspace(-2, 2, 11), np.linspace(-1.5, 1.5, 9)
    m1 = 0.5 * (cells1[:-1] + cells1[1:])
    p_right = np.repeat(1 / (1 + np.exp(-6 * m1)), 8)
    frac_right = float(counts.reshape(30, 25)[15:].sum() / particles)
    se = float(np.sqrt(frac_right * (1 - frac_right) / particles))
    traj_steps = np.arange(0, steps + 1, 50)
    paths = np.cumsum(rng.normal(0, 0.08, size=(3, len(traj_steps), 2)), axis=1)
    return {
        "job_id": "job-2d", "seed": seed,
        "spec": {"kind": "simulation",
                 "landscape": {"expression": "(w1**2 - 1)**2 + 0.5*w2**2", "variables": ["w1", "w2"]},
                 "dynamics": {"method": "langevin", "lr": 0.25, "batch_size": 1}, "particles": particles,
                 "steps": steps, "seed": seed,
                 "observe": {"histogram": {"bins": [30, 25], "range": [[-2, 2], [-1.5, 1.5]]},
                             "arrival": {"bins": [10, 8]}, "trajectories": {"count": 3, "every": 50}}},
        "landscape": {"dim": 2,
                      "minima": [{"index": 0, "location": [-1.0, 0.0], "loss": 0.0, "hessian_eigenvalues": [1.0, 8.0]},
                                 {"index": 1, "location": [1.0, 0.0], "loss": 0.0, "hessian_eigenvalues": [1.0, 8.0]}],
                      "saddles": [{"location": [0.0, 0.0], "loss": 1.0, "hessian_eigenvalues": [-4.0, 1.0]}],
                      "barriers": [{"from": 0, "to": 1, "height": 1.0}, {"from": 1, "to": 0, "height": 1.0}]},
        "temperature": 1 / beta, "beta": beta,
        "histograms": {"final": {"edges": [e1.tolist(), e2.tolist()], "counts": counts.tolist(),
                                 "density": density.tolist()}},
        "basins": {"final": [{"basin": 0, "fraction": 1 - frac_right, "stderr": se},
                             {"basin": 1, "fraction": frac_right, "stderr": se}]},
        "arrival": {"edges": [cells1.tolist(), cells2.tolist()],
                    "probability": np.stack([1 - p_right, p_right], 1).tolist()},
        "gibbs": {"beta_theory": beta, "beta_fit": 8.1, "beta_fit_stderr": 0.2, "kl_divergence": 0.01,
                  "total_variation": 0.05, "chi2_pvalue": 0.3, "basin_fractions_theory": [0.5, 0.5],
                  "density_theory": rho.ravel().tolist()},
        "trajectories": {"steps": traj_steps.tolist(), "paths": paths.tolist()},
        "performance": {"particle_steps": particles * steps, "seconds": 0.3,
                        "particle_steps_per_second": particles * steps / 0.3},
    }


def make_result_minimal() -> dict:
    """A run with the default observers only: histogram, basins, gibbs."""
    full = make_result_1d(seed=3)
    return {k: v for k, v in full.items() if k not in ("exit_times", "loss_trace", "trajectories", "arrival")}


@pytest.fixture(scope="session")
def result_1d() -> dict:
    return make_result_1d()


@pytest.fixture(scope="session")
def result_2d() -> dict:
    return make_result_2d()


@pytest.fixture(scope="session")
def result_zero_exits() -> dict:
    return make_result_zero_exits()


@pytest.fixture(scope="session")
def result_minimal() -> dict:
    return make_result_minimal()


def api_is_there() -> bool:
    """True once the service can be started (`sgdlab serve`): the API helper's work has landed."""
    return importlib.util.find_spec("sgdlab.cli") is not None and importlib.util.find_spec("sgdlab.api.app") is not None


@pytest.fixture(scope="session")
def live_api(request) -> str:
    """Base URL of the live server; skipped (with the reason) while the API package has not landed."""
    if not api_is_there():
        pytest.skip("the API (sgdlab.cli / sgdlab.api.app) has not landed yet: nothing to serve")
    return request.getfixturevalue("live_server")
