"""Exact density evolution of SGD's Markov chain on a grid (1-D and 2-D), its invariant law and its Gibbs gap.

The chain w' = w - lr grad L(w) + (lr / sqrt(B)) xi, xi ~ N(0, I), is discretised on a regular grid of cells:
from the centre x_i of cell i the Gaussian kernel with mean x_i - lr grad L(x_i) and covariance (lr^2 / B) I
is integrated over every target cell (normal CDF differences per axis; in 2-D the product of the two axes),
truncated at TRUNCATION_SIGMAS standard deviations. Mass that would leave the grid is given back by
renormalising each row over the grid (the step is conditioned on landing inside the box, per axis), so the
grid chain is a stochastic matrix (stored as scipy.sparse CSR). Densities are evolved exactly as cell
probabilities, rho_{t+1} = P^T rho_t; `density` = probability / cell volume integrates to 1 over the range.

With data noise (`noise_cov`, Sigma(w) per cell centre) the kernel is the lecture's N(w - lr grad L, (lr^2/B)
Sigma(w)): in 1-D a per-source standard deviation; in 2-D the x marginal N(m_x, C_xx) per target column, times
the conditional law of y given x at the target column's centre (exact for the x axis, midpoint in x for y).

For a schedule the kernel is rebuilt when the learning rate has drifted by more than `lr_rtol` (relative)
from the one the current kernel was built with (0 = whenever it changes); kernels are cached by learning
rate (cyclic schedules revisit them). A rebuild costs O(cells x band), like a handful of steps in 1-D and
many steps in 2-D: `lr_rtol` bounds the number of rebuilds of a monotone schedule by
log(lr_max / lr_min) / log(1 + lr_rtol).
"""

from __future__ import annotations

import builtins
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Sequence, Union

import numpy as np
import scipy.sparse as sp
from scipy.special import ndtr

from sgdlab.core.errors import Cancelled, LimitExceeded, SpecError
from sgdlab.core.landscapes.base import Landscape
from sgdlab.limits import DEFAULT_LIMITS, Limits
from sgdlab.theory.gibbs import gibbs_density_on_bins, temperature_at_end
from sgdlab.theory.grids import mesh_points, resolve_range
from sgdlab.theory.markov_chains import bandwidth, communication_classes, gth_stationary_banded
from sgdlab.theory.information import json_floats, kl_divergence, kl_divergence_rows, total_variation, \
    total_variation_rows

TRUNCATION_SIGMAS = 6.0
"""The Gaussian kernel is cut at this many standard deviations from its mean (mass beyond ~2e-9)."""

"""Stored transition probabilities of one grid kernel (about 0.5 GB); a finer grid or larger noise is a 422."""

CHECK_EVERY = 200
"""Steps between two calls of `should_cancel` and `progress`."""

KERNEL_CACHE_SIZE = 8
"""Kernels kept per evolution, keyed by learning rate (a cyclic schedule revisits its rates)."""

POWER_FALLBACK_STEPS = 20_000
"""Power-iteration steps for the invariant law if both the sparse LU solve and ARPACK fail."""

GTH_BANDED_MAX_WORK = 3e8
"""Banded GTH (cost ~ cells x band^2) is used for the invariant law up to this much work."""

GTH_BANDED_MAX_CELLS = 5000
"""... and up to this many cells (it stores the chain densely)."""

POLISH_STEPS = 20
"""Power-iteration steps applied to the solved invariant law (removes the solver's roundoff in fast modes)."""

MIN_SIGMA_CELLS = 1e-6
"""A kernel narrower than this many cells (vanishing data noise) is widened to it: all mass in the mean's cell."""

LearningRateFn = Union[float, Callable[[int], float]]
NoiseCovariance = Callable[[np.ndarray], np.ndarray]
"""Sigma at points: (n, d) -> (n, d, d), the finite-population factor included (theory.noise.NoiseModel)."""


# ----------------------------------------------------------------------------------------------- the grid


@dataclass(frozen=True)
class DensityGrid:
    """A regular grid of cells over a box: `edges` per axis (n_k + 1 each); cells flattened row-major."""

    edges: tuple[np.ndarray, ...]

    @property
    def dim(self) -> int:
        """Number of axes."""
        return len(self.edges)

    @property
    def shape(self) -> tuple[int, ...]:
        """Cells per axis."""
        return tuple(len(e) - 1 for e in self.edges)

    @property
    def size(self) -> int:
        """Number of cells."""
        return int(np.prod(self.shape))

    @property
    def spacing(self) -> np.ndarray:
        """Cell side per axis."""
        return np.array([e[1] - e[0] for e in self.edges])

    @property
    def cell_volume(self) -> float:
        """Volume of one cell."""
        return float(np.prod(self.spacing))

    @property
    def centres(self) -> list[np.ndarray]:
        """Cell centres per axis."""
        return [0.5 * (e[:-1] + e[1:]) for e in self.edges]

    def points(self) -> np.ndarray:
        """All cell centres as an (n_cells, d) array, row-major."""
        return mesh_points(self.centres)

    def density(self, probabilities: np.ndarray) -> np.ndarray:
        """Cell probabilities divided by the cell volume: a density integrating to 1 over the box."""
        return np.asarray(probabilities) / self.cell_volume


def make_grid(ranges: Sequence[tuple[float, float]], points: int | Sequence[int]) -> DensityGrid:
    """A regular grid with `points` cells per axis (or one count per axis) over the given (lo, hi) ranges."""
    counts = [int(points)] * len(ranges) if np.isscalar(points) else [int(p) for p in points]
    return DensityGrid(tuple(np.linspace(lo, hi, n + 1) for (lo, hi), n in zip(ranges, counts)))


# ----------------------------------------------------------------------------------------------- initial laws


def _axis_overlap(edges: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Length of [lo, hi] inside each cell of one axis."""
    return np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0.0, None)


def _outer_flat(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Row-major flattened outer product of per-axis weights."""
    out = parts[0]
    for p in parts[1:]:
        out = np.multiply.outer(out, p)
    return np.ravel(out)


def initial_uniform(grid: DensityGrid, low: Sequence[float], high: Sequence[float],
                    field: str = "init.uniform") -> np.ndarray:
    """Cell probabilities of the uniform law on the box [low, high] (exact overlaps; a flat side is a point)."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    if low.shape != (grid.dim,) or high.shape != (grid.dim,):
        raise SpecError(f"needs {grid.dim} coordinate(s) in low and high", field)
    parts = []
    for k, (e, lo, hi) in enumerate(zip(grid.edges, low, high)):
        if hi < lo:
            raise SpecError("low must not exceed high", field)
        if hi == lo:
            parts.append(_point_axis(e, lo, f"{field}.low"))
            continue
        w = _axis_overlap(e, lo, hi)
        if w.sum() <= 0:
            raise SpecError(f"the box misses the grid on axis {k}", field)
        parts.append(w / w.sum())
    return _outer_flat(parts)


def _point_axis(edges: np.ndarray, x: float, field: str) -> np.ndarray:
    """All mass in the cell of one axis that holds x (x on the grid's closed range)."""
    if not edges[0] <= x <= edges[-1]:
        raise SpecError(f"{x:g} is outside the grid [{edges[0]:g}, {edges[-1]:g}]", field)
    w = np.zeros(len(edges) - 1)
    w[min(int(np.searchsorted(edges, x, side="right")) - 1, len(w) - 1)] = 1.0
    return w


def initial_point(grid: DensityGrid, point: Sequence[float], field: str = "init.point") -> np.ndarray:
    """Cell probabilities of a point mass: all mass in the cell holding the point."""
    point = np.asarray(point, dtype=float)
    if point.shape != (grid.dim,):
        raise SpecError(f"needs {grid.dim} coordinate(s)", field)
    return _outer_flat([_point_axis(e, x, field) for e, x in zip(grid.edges, point)])


def initial_normal(grid: DensityGrid, mean: Sequence[float], std: float, field: str = "init.normal") -> np.ndarray:
    """Cell probabilities of N(mean, std^2 I) restricted to the grid and renormalised (std 0: a point)."""
    mean = np.asarray(mean, dtype=float)
    if mean.shape != (grid.dim,):
        raise SpecError(f"needs {grid.dim} coordinate(s)", f"{field}.mean")
    if not std >= 0:
        raise SpecError("must be >= 0", f"{field}.std")
    if std == 0:
        return initial_point(grid, mean, f"{field}.mean")
    parts = []
    for k, (e, m) in enumerate(zip(grid.edges, mean)):
        w = _cdf_differences(e[None, :], np.array([[m]]), std)[0]
        if not w.sum() > 0:
            raise SpecError(f"the normal law has no mass on the grid on axis {k}", field)
        parts.append(w / w.sum())
    return _outer_flat(parts)


def initial_from_spec(grid: DensityGrid, init: Any) -> np.ndarray:
    """Cell probabilities from an init block ({"uniform"|"point"|"normal": ...}, dict or InitSpec); None: uniform.

    `{"minimum": k}` needs the landscape analysis: resolve it to a point first.
    """
    if init is None:
        return np.full(grid.size, 1.0 / grid.size)
    spec = init.model_dump(exclude_none=True) if hasattr(init, "model_dump") else dict(init)
    if "uniform" in spec:
        return initial_uniform(grid, spec["uniform"]["low"], spec["uniform"]["high"])
    if "point" in spec:
        return initial_point(grid, spec["point"])
    if "normal" in spec:
        return initial_normal(grid, spec["normal"]["mean"], float(spec["normal"]["std"]))
    if "minimum" in spec:
        raise SpecError("resolve {'minimum': k} to the minimum's location ('point') first", "init.minimum")
    raise SpecError("give one of 'uniform', 'point', 'normal'", "init")


def _validate_initial(grid: DensityGrid, initial: Any) -> np.ndarray:
    """The initial cell probabilities: from a spec (dict/InitSpec/None) or an array of probabilities."""
    if initial is None or isinstance(initial, dict) or hasattr(initial, "model_dump"):
        return initial_from_spec(grid, initial)
    p = np.asarray(initial, dtype=float).ravel()
    if p.size != grid.size:
        raise SpecError(f"needs one probability per cell ({grid.size}), got {p.size}", "init")
    if not (np.isfinite(p).all() and (p >= 0).all() and p.sum() > 0):
        raise SpecError("cell probabilities must be finite, >= 0 and not all 0", "init")
    return p / p.sum()


# ----------------------------------------------------------------------------------------------- the kernel


def _cdf_differences(edges: np.ndarray, means: np.ndarray, sigma: float) -> np.ndarray:
    """P(lo < mean + sigma Z < hi) for cells [edges[..., j], edges[..., j+1]] (broadcast), accurate in both tails."""
    a = (edges[..., :-1] - means) / sigma
    b = (edges[..., 1:] - means) / sigma
    # upper tail from the survival function, lower tail from the CDF: no 1 - (1 - tiny)
    return np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))


def check_kernel_entries(grid: DensityGrid, sigma: float, limits: Limits) -> None:
    """Refuse a kernel whose bands (cut at TRUNCATION_SIGMAS of the largest standard deviation) would exceed the
    bound on stored transition probabilities."""
    width = [band_width(sigma, float(h), n) for n, h in zip(grid.shape, grid.spacing)]
    entries = grid.size * math.prod(width)
    if entries > limits.max_kernel_entries:
        raise LimitExceeded("grid.points", "max_kernel_entries", limits.max_kernel_entries, entries)


def band_width(sigma: float, cell: float, cells: int) -> int:
    """Target cells per source along one axis: those within TRUNCATION_SIGMAS of the mean, clipped to the grid."""
    return int(min(cells, math.ceil(2.0 * TRUNCATION_SIGMAS * sigma / cell) + 2))


def axis_kernel(means: np.ndarray, sigma: float | np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis transition weights from N(means, sigma^2) to the cells of one axis, as a band per source
    (`sigma` a number or one standard deviation per source; the band is sized for the largest).

    Returns (columns, weights), both (n_sources, K): the K target cells around each mean (within
    TRUNCATION_SIGMAS, clipped to the grid) and their probabilities renormalised over the grid. A mean so far
    outside that no target cell gets mass puts all its mass in the nearest cell.
    """
    n = len(edges) - 1
    h = float(edges[1] - edges[0])
    lo = float(edges[0])
    sigma = np.maximum(np.asarray(sigma, dtype=float), MIN_SIGMA_CELLS * h)
    half = TRUNCATION_SIGMAS * sigma
    K = band_width(float(sigma.max()), h, n)
    if sigma.ndim:
        sigma = sigma[:, None]
    start = np.floor((means - half - lo) / h)
    start = np.clip(np.nan_to_num(start, nan=0.0, posinf=n, neginf=0.0), 0, n - K).astype(np.int64)
    cols = start[:, None] + np.arange(K)[None, :]
    cell_edges = np.stack([edges[cols], edges[cols + 1]], axis=-1)  # (N, K, 2)
    a = (cell_edges[..., 0] - means[:, None]) / sigma
    b = (cell_edges[..., 1] - means[:, None]) / sigma
    w = np.where(a > 0, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
    # keep exactly the cells meeting [mean - half, mean + half]: a mirror-symmetric truncation
    w[(b < -TRUNCATION_SIGMAS) | (a > TRUNCATION_SIGMAS)] = 0.0
    total = w.sum(axis=1)
    lost = ~(total > 0)
    if lost.any():
        nearest = np.clip(np.floor((np.nan_to_num(means[lost], nan=lo) - lo) / h), 0, n - 1).astype(np.int64)
        w[lost] = (cols[lost] == nearest[:, None]).astype(float)
        total[lost] = 1.0
    return cols, w / total[:, None]


def _conditional_kernel_2d(means: np.ndarray, cov: np.ndarray, grid: DensityGrid
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Anisotropic 2-D kernel N(means, cov) per source: x marginal per target column, y | x at its centre."""
    ex, ey = grid.edges
    n = len(means)
    cxx, cxy, cyy = cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1]
    sx = np.sqrt(np.maximum(cxx, 0.0))
    cols_x, w_x = axis_kernel(means[:, 0], sx, ex)                          # (n, Kx)
    centres_x = 0.5 * (ex[cols_x] + ex[cols_x + 1])
    slope = np.divide(cxy, cxx, out=np.zeros(n), where=cxx > 0)
    cond_mean = means[:, 1, None] + slope[:, None] * (centres_x - means[:, 0, None])
    cond_sd = np.sqrt(np.maximum(cyy - slope * cxy, 0.0))
    kx = cols_x.shape[1]
    cols_y, w_y = axis_kernel(cond_mean.ravel(), np.repeat(cond_sd, kx), ey)  # (n Kx, Ky)
    ky = cols_y.shape[1]
    cols = (cols_x[:, :, None] * grid.shape[1] + cols_y.reshape(n, kx, ky)).reshape(n, -1)
    w = (w_x[:, :, None] * w_y.reshape(n, kx, ky)).reshape(n, -1)
    return cols, w


def transition_matrix(landscape: Landscape, grid: DensityGrid, lr: float, batch_size: int,
                      limits: Limits = DEFAULT_LIMITS, noise_cov: NoiseCovariance | None = None) -> sp.csr_matrix:
    """The grid chain of SGD at learning rate `lr`: P[i, j] = P(cell i -> cell j), CSR, rows summing to 1.
    With `noise_cov`, the step's covariance is (lr^2/B) Sigma(cell centre) instead of (lr^2/B) I."""
    pts = grid.points()
    g = np.asarray(landscape.grad(pts), dtype=float)
    bad = np.flatnonzero(np.isnan(g).any(axis=1))
    if bad.size:
        where = ", ".join(f"{v:g}" for v in pts[bad[0]])
        raise SpecError(f"the gradient is undefined (nan) at the grid point ({where}); narrow the range",
                        "grid.range")
    means = pts - lr * g
    n_cells = grid.size
    if noise_cov is not None:
        cov = (lr * lr / batch_size) * np.asarray(noise_cov(pts), dtype=float)
        check_kernel_entries(grid, float(np.sqrt(np.max(np.diagonal(cov, axis1=1, axis2=2)))), limits)
        if grid.dim == 1:
            cols, w = axis_kernel(means[:, 0], np.sqrt(np.maximum(cov[:, 0, 0], 0.0)), grid.edges[0])
        else:
            cols, w = _conditional_kernel_2d(means, cov, grid)
    else:
        sigma = lr / math.sqrt(batch_size)
        check_kernel_entries(grid, sigma, limits)
        per_axis = [axis_kernel(means[:, k], sigma, e) for k, e in enumerate(grid.edges)]
        cols, w = per_axis[0]
        for k in range(1, grid.dim):
            ck, wk = per_axis[k]
            cols = (cols[:, :, None] * grid.shape[k] + ck[:, None, :]).reshape(n_cells, -1)
            w = (w[:, :, None] * wk[:, None, :]).reshape(n_cells, -1)
    K = cols.shape[1]
    P = sp.csr_matrix((w.ravel(), cols.ravel(), np.arange(n_cells + 1, dtype=np.int64) * K),
                      shape=(n_cells, n_cells))
    P.eliminate_zeros()
    return P


# ----------------------------------------------------------------------------------------------- invariant law


def _solve_invariant(P: sp.csr_matrix) -> np.ndarray:
    """Invariant law of an irreducible sparse chain: banded GTH when cheap (1-D grids), else a sparse LU solve
    of (P^T - I) pi = 0 with one state pinned to 1 (keeps the sparsity a normalisation row would destroy),
    else ARPACK, else power iteration."""
    n = P.shape[0]
    if n == 1:
        return np.ones(1)
    band = bandwidth(P)
    if n * band * band <= GTH_BANDED_MAX_WORK and n <= GTH_BANDED_MAX_CELLS:
        return gth_stationary_banded(P, band)
    PT = P.T.tocsr()
    from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, eigs, spsolve

    A = (PT - sp.identity(n, format="csr")).tocsc()
    pin = int(np.argmax(np.asarray(P.sum(axis=0)).ravel()))  # the state with the largest inflow
    keep = np.r_[0:pin, pin + 1:n]
    try:
        with np.errstate(all="ignore"):
            x = spsolve(A[keep][:, keep].tocsc(), -A[keep][:, [pin]].toarray().ravel())
        pi = np.insert(x, pin, 1.0)
        if np.all(np.isfinite(pi)) and pi.sum() > 0:
            return pi
    except (RuntimeError, ValueError, MemoryError):
        pass
    try:
        _, vec = eigs(PT, k=1, which="LM", v0=np.full(n, 1.0 / n), maxiter=5000, tol=1e-13)
        pi = np.real(vec[:, 0])
        return pi * np.sign(pi.sum())
    except (ArpackNoConvergence, ArpackError):
        pi = np.full(n, 1.0 / n)
        for _ in builtins.range(POWER_FALLBACK_STEPS):
            pi = PT @ pi
        return pi


def invariant_law(P: sp.csr_matrix, weights_from: np.ndarray | None = None) -> np.ndarray:
    """The invariant probability vector pi = P^T pi of a grid chain, zero off its recurrent cells.

    Cells the chain cannot reach (e.g. near a steep wall) are transient and get 0. Each closed class is
    solved on its own (see `_solve_invariant`); if there are several (a kernel too narrow to cross some
    barrier), they are mixed in proportion to the mass `weights_from` puts in each (equal when None or 0).
    The result is polished by POLISH_STEPS power steps; negative roundoff is clipped.
    """
    n = P.shape[0]
    classes, closed = communication_classes(P)
    recurrent = [c for c, is_closed in zip(classes, closed) if is_closed]
    pi = np.zeros(n)
    mass = np.array([weights_from[c].sum() if weights_from is not None else 0.0 for c in recurrent])
    mass = mass / mass.sum() if mass.sum() > 0 else np.full(len(recurrent), 1.0 / len(recurrent))
    for members, m in zip(recurrent, mass):
        sub = P[members][:, members] if len(members) < n else P
        law = np.clip(_solve_invariant(sp.csr_matrix(sub)), 0.0, None)
        pi[members] = m * law / law.sum()
    PT = P.T.tocsr()
    for _ in range(POLISH_STEPS):
        pi = PT @ pi
        pi /= pi.sum()
    return pi


# ----------------------------------------------------------------------------------------------- evolution


@dataclass
class DensityEvolution:
    """The outcome of `evolve_density`: cell probabilities over time, the invariant law and the Gibbs gap."""

    grid: DensityGrid
    steps: int
    snapshots: list[tuple[int, np.ndarray]]
    final: np.ndarray
    stationary: np.ndarray
    series_steps: np.ndarray
    kl_to_stationary: np.ndarray
    total_variation_to_stationary: np.ndarray
    lr_final: float
    batch_size: int
    gibbs: np.ndarray
    kl_stationary_vs_gibbs: float
    total_variation_stationary_vs_gibbs: float
    kernel_builds: int = 1

    @property
    def temperature(self) -> float:
        """T = lr / (2B) at the last step."""
        return temperature_at_end(self.lr_final, self.batch_size)

    @property
    def beta(self) -> float:
        """beta = 2B / lr at the last step."""
        return 1.0 / self.temperature

    @property
    def gibbs_gap(self) -> dict[str, float]:
        """The discretisation bias: KL(invariant || Gibbs) and their total variation, on the same grid."""
        return {"kl": self.kl_stationary_vs_gibbs, "total_variation": self.total_variation_stationary_vs_gibbs}

    def _histogram(self, step: int, probabilities: np.ndarray) -> dict[str, Any]:
        return {"step": int(step), "edges": [e.tolist() for e in self.grid.edges],
                "density": json_floats(self.grid.density(probabilities))}

    def to_dict(self) -> dict[str, Any]:
        """The result document of a "density_evolution" job (densities flattened row-major in 2-D)."""
        return {
            "grid": {"edges": [e.tolist() for e in self.grid.edges], "points": list(self.grid.shape)},
            "temperature": self.temperature,
            "beta": self.beta,
            "histograms": {"snapshots": [self._histogram(s, p) for s, p in self.snapshots],
                           "final": self._histogram(self.steps, self.final)},
            "stationary": {"density": json_floats(self.grid.density(self.stationary))},
            "series_steps": self.series_steps.tolist(),
            "kl_to_stationary": json_floats(self.kl_to_stationary),
            "total_variation_to_stationary": json_floats(self.total_variation_to_stationary),
            "gibbs": {"beta_theory": self.beta,
                      "kl_stationary_vs_gibbs": json_floats(self.kl_stationary_vs_gibbs),
                      "total_variation_stationary_vs_gibbs": json_floats(self.total_variation_stationary_vs_gibbs),
                      "density_theory": json_floats(self.grid.density(self.gibbs))},
            "kernel_builds": self.kernel_builds,
        }


def _lr_function(lr_fn: LearningRateFn) -> Callable[[int], float]:
    """A callable t -> lr from a number or a callable, validating positivity lazily."""
    if callable(lr_fn):
        return lambda t: float(lr_fn(t))
    value = float(lr_fn)
    return lambda t: value


def _checked_lr(lr: float, t: int) -> float:
    if not (math.isfinite(lr) and lr > 0):
        raise SpecError(f"the learning rate at step {t} is {lr!r}; it must be > 0", "dynamics.lr")
    return lr


def validate_grid_request(landscape: Landscape, grid_points: int | Sequence[int], range_: Any,
                          limits: Limits = DEFAULT_LIMITS) -> DensityGrid:
    """The grid of a density-evolution request (1-D/2-D landscape, points within limits, a valid range)."""
    if landscape.dim not in (1, 2):
        raise SpecError(f"density evolution works in 1-D and 2-D, the landscape has dimension {landscape.dim}",
                        "landscape")
    ranges = resolve_range(landscape, range_, field="grid.range")
    counts = [grid_points] * landscape.dim if np.isscalar(grid_points) else list(grid_points)
    if len(counts) != landscape.dim:
        raise SpecError(f"give one count or {landscape.dim} counts", "grid.points")
    limit_name = "max_grid_points_1d" if landscape.dim == 1 else "max_grid_points_2d"
    limit = getattr(limits, limit_name)
    for c in counts:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 2:
            raise SpecError("must be an integer >= 2", "grid.points")
        if c > limit:
            raise LimitExceeded("grid.points", limit_name, limit, int(c))
    return make_grid(ranges, counts)


def validate_evolution_steps(steps: Any, snapshots: Sequence[int], series_every: int = 1,
                             limits: Limits = DEFAULT_LIMITS) -> list[int]:
    """The sorted distinct snapshot steps, after checking steps, snapshots and series_every against limits."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise SpecError("must be an integer >= 0", "steps")
    if steps > limits.max_steps:
        raise LimitExceeded("steps", "max_steps", limits.max_steps, int(steps))
    if not isinstance(series_every, (int, np.integer)) or series_every < 1:
        raise SpecError("must be an integer >= 1", "series_every")
    snaps = sorted({int(s) for s in snapshots})
    if len(snaps) > limits.max_snapshots:
        raise LimitExceeded("observe.histogram.snapshots", "max_snapshots", limits.max_snapshots, len(snaps))
    for s in snaps:
        if not 0 <= s <= steps:
            raise SpecError(f"snapshot step {s} is outside [0, {steps}]", "observe.histogram.snapshots")
    return snaps




def evolve_density(landscape: Landscape, lr_fn: LearningRateFn, batch_size: int, grid_points: int | Sequence[int],
                   range: Sequence[Sequence[float]] | None = None, initial_density: Any = None, steps: int = 1000,
                   snapshots: Sequence[int] = (), *, progress: Callable[[float], None] | None = None,
                   should_cancel: Callable[[], bool] | None = None, lr_rtol: float = 1e-3,
                   series_every: int = 1, limits: Limits = DEFAULT_LIMITS, noise_cov: NoiseCovariance | None = None,
                   gibbs_temperature: float | None = None) -> DensityEvolution:
    """Evolve the law of SGD's chain exactly on a grid for `steps` steps; see the module docstring.

    `lr_fn` is a number or a callable t -> lr (t from 0; step t uses lr_fn(t)). `initial_density` is None
    (uniform over the grid), an init block ({"uniform"|"point"|"normal": ...}) or an array of cell
    probabilities. The invariant law is the chain's at the final learning rate lr_fn(steps - 1); the
    series KL(rho_t || rho_inf) and TV(rho_t, rho_inf) are recorded at t = 0, series_every, ..., steps.
    `should_cancel()` is checked every CHECK_EVERY steps (raising Cancelled), `progress(fraction)` called then.
    `noise_cov` (Sigma at points) makes the kernel the data-noise one; `gibbs_temperature` replaces lr/(2B) in the
    Gibbs comparison (data noise: the scalar temperature at the deepest minimum).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise SpecError("must be an integer >= 1", "dynamics.batch_size")
    grid = validate_grid_request(landscape, grid_points, range, limits)
    snaps = validate_evolution_steps(steps, snapshots, series_every, limits)
    rho = _validate_initial(grid, initial_density)
    lr_of = _lr_function(lr_fn)
    lr_final = _checked_lr(lr_of(max(steps - 1, 0)), max(steps - 1, 0))

    cache: OrderedDict[float, sp.csr_matrix] = OrderedDict()
    builds = 0

    def kernel_T(lr: float) -> sp.csr_matrix:
        nonlocal builds
        if lr not in cache:
            cache[lr] = transition_matrix(landscape, grid, lr, int(batch_size), limits, noise_cov).T.tocsr()
            builds += 1
            if len(cache) > KERNEL_CACHE_SIZE:
                cache.popitem(last=False)
        cache.move_to_end(lr)
        return cache[lr]

    final_PT = kernel_T(lr_final)
    stationary = invariant_law(final_PT.T.tocsr(), weights_from=rho)

    series_steps = np.arange(0, steps + 1, series_every)
    if series_steps[-1] != steps:
        series_steps = np.append(series_steps, steps)
    kl = np.empty(len(series_steps))
    tv = np.empty(len(series_steps))
    chunk = int(max(1, min(256, 4_000_000 // grid.size)))
    buffer = np.empty((chunk, grid.size))
    buffered: list[int] = []

    def flush() -> None:
        if buffered:
            rows = buffer[:len(buffered)]
            kl[buffered] = kl_divergence_rows(rows, stationary)
            tv[buffered] = total_variation_rows(rows, stationary)
            buffered.clear()

    def record(slot: int) -> None:
        buffer[len(buffered)] = rho
        buffered.append(slot)
        if len(buffered) == chunk:
            flush()

    snapshot_set = set(snaps)
    recorded_snaps: list[tuple[int, np.ndarray]] = []
    if 0 in snapshot_set:
        recorded_snaps.append((0, rho.copy()))
    next_slot = 0
    if series_steps[0] == 0:
        record(0)
        next_slot = 1

    lr_built = None
    PT = final_PT
    for t in builtins.range(steps):
        lr = _checked_lr(lr_of(t), t)
        if lr_built is None or abs(lr - lr_built) > lr_rtol * lr_built:
            PT = kernel_T(lr)
            lr_built = lr
        rho = PT @ rho
        rho /= rho.sum()
        step = t + 1
        if next_slot < len(series_steps) and series_steps[next_slot] == step:
            record(next_slot)
            next_slot += 1
        if step in snapshot_set:
            recorded_snaps.append((step, rho.copy()))
        if step % CHECK_EVERY == 0:
            if should_cancel is not None and should_cancel():
                raise Cancelled(f"density evolution cancelled at step {step}")
            if progress is not None:
                progress(step / steps)
    flush()
    if progress is not None:
        progress(1.0)

    t_gibbs = gibbs_temperature if gibbs_temperature is not None else temperature_at_end(lr_final, int(batch_size))
    gibbs = gibbs_density_on_bins(landscape, list(grid.edges), 1.0 / t_gibbs)
    return DensityEvolution(
        grid=grid, steps=int(steps), snapshots=recorded_snaps, final=rho, stationary=stationary,
        series_steps=series_steps, kl_to_stationary=kl, total_variation_to_stationary=tv,
        lr_final=lr_final, batch_size=int(batch_size), gibbs=gibbs,
        kl_stationary_vs_gibbs=kl_divergence(stationary, gibbs),
        total_variation_stationary_vs_gibbs=total_variation(stationary, gibbs), kernel_builds=builds)
