"""The blocks of a result document as pydantic models, so that /openapi.json describes what `GET
/v1/jobs/{id}/result` returns (docs/API.md "Result document" and "Density evolution").

They describe; they do not filter: the route sends the stored JSON as it is, every block allows extra keys, and
a block a job did not observe is absent (None here)."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field

Numbers = list[Optional[float]]   # JSON has no NaN or infinity: a value that is not finite is null


class Block(BaseModel):
    """A result block: documented keys, and any others the service adds."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Minimum(Block):
    index: int
    location: list[float]
    loss: float
    hessian_eigenvalues: list[float]


class Saddle(Block):
    location: list[float]
    loss: float
    hessian_eigenvalues: list[float]


class Barrier(Block):
    from_: int = Field(..., alias="from", description="index of the minimum the barrier is climbed from")
    to: int
    height: float


class LandscapeBlock(Block):
    """Critical points of the landscape; `minima[k].index` is the basin index used everywhere else."""

    dim: int
    minima: list[Minimum]
    saddles: list[Saddle]
    barriers: list[Barrier]


class Histogram(Block):
    """H: one edges list per axis; counts and density flattened row-major; density integrates to 1."""

    edges: list[list[float]]
    counts: Optional[list[float]] = Field(None, description="particles per bin (simulations)")
    density: Numbers
    layout: Optional[str] = Field(None, description="'joint' (one d-dimensional histogram) or 'marginals' (d > 2)")


class SnapshotHistogram(Histogram):
    step: int


class TimeAverageHistogram(Histogram):
    burn_in: Optional[int] = None
    every: Optional[int] = None


class Histograms(Block):
    final: Optional[Histogram] = None
    snapshots: list[SnapshotHistogram] = Field(default_factory=list)
    time_average: Optional[TimeAverageHistogram] = None


class BasinFraction(Block):
    basin: int
    fraction: Optional[float] = Field(..., description="null when no particle survived")
    stderr: Optional[float] = None


class BasinSnapshot(Block):
    step: int
    fractions: Numbers


class Basins(Block):
    final: list[BasinFraction]
    unassigned: Optional[int] = Field(None, description="particles in no basin (near a saddle or diverged)")
    unassigned_fraction: Optional[float] = None
    snapshots: list[BasinSnapshot] = Field(default_factory=list, description="basin fractions at histogram "
                                           "snapshot steps")


class Arrival(Block):
    """P(final basin | initial cell): one row per initial cell, one entry per basin."""

    edges: list[list[float]]
    probability: list[Numbers]
    particles: Optional[list[Any]] = Field(None, description="particles started in each initial cell")


class DiscreteTimeCorrection(Block):
    """At a minimum: the variance of the continuous model and of the discrete chain, per coordinate."""

    minimum: int
    variance_continuous: Numbers
    variance_discrete: Numbers


class QuadratureError(Block):
    """The error estimate of a Gibbs integral: basin fractions (and, in a job's gibbs block, bin masses)."""

    basin_fractions: Optional[float] = Field(None, description="absolute error bound estimate; null: unknown")
    basin_method: Optional[str] = Field(None, description="adaptive_gauss_legendre | grid | laplace")
    bin_probabilities: Optional[float] = Field(None, description="largest absolute error of a bin probability")
    bin_method: Optional[str] = Field(None, description="adaptive_gauss_legendre | midpoint")


class Gibbs(Block):
    beta_theory: Optional[float] = None
    beta_fit: Optional[float] = None
    beta_fit_stderr: Optional[float] = None
    kl_divergence: Optional[float] = None
    total_variation: Optional[float] = None
    chi2_pvalue: Optional[float] = None
    basin_fractions_theory: Optional[Numbers] = None
    density_theory: Optional[Numbers] = None
    basin_total_variation: Optional[float] = Field(None, description="TV distance of basin fractions from Gibbs")
    discrete_time_correction: Optional[list[DiscreteTimeCorrection]] = Field(
        None, description="per minimum, when lr is known")
    kl_stationary_vs_gibbs: Optional[float] = Field(None, description="density_evolution: KL(rho_inf || Gibbs)")
    total_variation_stationary_vs_gibbs: Optional[float] = None
    quadrature_error: Optional[QuadratureError] = None


class Survival(Block):
    steps: list[int]
    probability: list[float]


class ResultWarning(Block):
    """A caveat on a number: its code, a sentence, and the value against its threshold."""

    code: str
    message: str
    value: Optional[float] = None
    threshold: Optional[float] = None


class SplittingRegions(Block):
    """The sets of a splitting run: ball A around `from`, its boundary sphere Sigma, target ball B around `to`."""

    r_a: float
    r_sigma: float
    r_b: float


class ReactivePath(Block):
    """One excursion that reached `to`, thinned to at most 200 points."""

    steps: int
    path: list[list[Optional[float]]]


class ExitTimes(Block):
    """First passages from basin `from` to minimum `to`, in steps."""

    from_: int = Field(..., alias="from")
    to: int
    particles: int
    escaped: int
    censored: int
    mean_steps: Optional[float] = Field(None, description="censored exponential maximum-likelihood estimate")
    ci95: list[Optional[float]]
    median_steps: Optional[float] = None
    survival: Survival
    kramers_steps: Optional[float] = None
    exact_steps: Optional[float] = None
    radius: Optional[float] = Field(None, description="the target region: within `radius` of minimum `to`")
    not_tracked: Optional[int] = Field(None, description="particles not starting in basin `from`")
    exponential_fit_pvalue: Optional[float] = Field(None, description="goodness of fit of the exponential model")
    exponential_fit_test: Optional[str] = Field(None, description="the test used, or why none was run")
    exponential_fit_rejected: Optional[bool] = None
    warnings: list[ResultWarning] = Field(default_factory=list)
    method: Optional[str] = Field(None, description="direct | splitting (adaptive multilevel splitting)")
    transition_probability: Optional[float] = Field(None, description="splitting: P(reach `to` before returning "
                                                    "to `from`) per excursion")
    iterations: Optional[int] = Field(None, description="splitting: kill-and-branch iterations, all repetitions")
    repetitions: Optional[int] = Field(None, description="splitting: independent repetitions behind ci95")
    cost_particle_steps: Optional[int] = Field(None, description="splitting: steps taken by all replicas")
    replicas: Optional[int] = None
    truncated: Optional[int] = Field(None, description="splitting: excursions cut at `steps` (counted as failures)")
    coordinate: Optional[Any] = Field(None, description="splitting: the reaction coordinate used")
    transition_probability_stderr: Optional[float] = None
    first_exit_steps: Optional[float] = Field(None, description="splitting: mean steps from `from` to Sigma")
    loop_steps: Optional[float] = Field(None, description="splitting: mean steps of a failed loop Sigma -> A -> Sigma")
    reactive_steps: Optional[float] = Field(None, description="splitting: mean steps of a reactive excursion")
    regions: Optional[SplittingRegions] = None
    levels: Optional[Numbers] = Field(None, description="splitting: levels of the first repetition")
    reactive_paths: Optional[list[ReactivePath]] = Field(None, description="splitting: a few paths that reached `to`")
    direct: Optional[dict[str, Any]] = Field(None, description="splitting: what the direct particles measured")
    note: Optional[str] = None
    kramers_formula: Optional[str] = Field(None, description="which Kramers formula, for which noise")
    exact_method: Optional[str] = Field(None, description="how exact_steps was computed, for which noise")
    diverged: Optional[int] = Field(None, description="particles that started in `from` and diverged (excluded)")
    kramers_reason: Optional[str] = Field(None, description="why kramers_steps is null")
    exact_reason: Optional[str] = Field(None, description="why exact_steps is null")


class LossTrace(Block):
    steps: list[int]
    mean: Numbers
    std: Numbers
    quantiles: dict[str, Numbers] = Field(..., description='keys "0.1", "0.5", "0.9"')
    quantile_subsample: Optional[int] = Field(None, description="particles the quantiles are taken from")


class Trajectories(Block):
    steps: list[int]
    paths: list[list[Any]]


class Performance(Block):
    particle_steps: Optional[int] = None
    seconds: float = Field(description="the job's own run time: from the first shard's start (compiling included) "
                           "to the last shard's end, not the time before its first shard started (seconds_measure)")
    seconds_measure: Optional[str] = Field(None, description="what `seconds` spans: shards (the simulation's shards) | "
                                           "dispatch (from the job's start on the dispatcher: splitting jobs) | worker")
    particle_steps_per_second: Optional[float] = None
    particle_steps_per_worker_second: Optional[float] = Field(
        None, description="particle_steps / worker_seconds: per worker process, independent of other jobs")
    shards: Optional[int] = None
    worker_seconds: Optional[float] = None
    backend: Optional[str] = Field(None, description="stepping backend that ran: numpy | compiled")
    backend_reason: Optional[str] = Field(None, description="why that backend (requested, or the auto rule)")
    compile_seconds: Optional[float] = Field(None, description="longest kernel compile or load on any worker; "
                                             "not counted in particle_steps_per_second")
    grid_cells: Optional[int] = Field(None, description="density_evolution")
    steps: Optional[int] = Field(None, description="density_evolution")


class Diverged(Block):
    particles: int
    fraction: float


class Grid(Block):
    """density_evolution: the grid's cell edges per axis and its number of points per axis."""

    edges: list[list[float]]
    points: list[int]


class Stationary(Block):
    """The stationary law of the dynamics that ran. Simulations: which law (`law`) against the histogram;
    density_evolution: the grid chain's own invariant density (`density`)."""

    law: Optional[str] = Field(None, description="gibbs | fokker_planck | grid_chain | local_gaussian")
    density_theory: Optional[Numbers] = None
    basin_fractions_theory: Optional[Numbers] = None
    kl_divergence: Optional[float] = None
    total_variation: Optional[float] = None
    chi2_pvalue: Optional[float] = None
    note: Optional[str] = Field(None, description="what the law assumes")
    density: Optional[Numbers] = Field(None, description="density_evolution: the chain's invariant density")


class HessianAlignment(Block):
    """Sigma against the Hessian at a minimum: trace ratio and the cosine between the two matrices."""

    trace_ratio: Optional[float] = None
    cosine: Optional[float] = None


class NoiseAtPoint(Block):
    """The gradient-noise covariance Sigma at a critical point and its temperature matrix lr Sigma/(2B)."""

    index: Optional[int] = Field(None, description="minima: the basin index")
    location: Optional[list[float]] = None
    covariance: list[list[float]]
    temperature: list[list[float]]
    temperature_scalar: Optional[float] = Field(None, description="mean eigenvalue of `temperature`")
    hessian_alignment: Optional[HessianAlignment] = Field(None, description="minima only")


class Noise(Block):
    """The noise the dynamics inject: isotropic (Sigma = I), data noise (per-sample gradient covariance) or none."""

    kind: str = Field(..., description="isotropic | gradient_covariance | minibatch | none")
    minima: list[NoiseAtPoint] = Field(default_factory=list)
    saddles: list[NoiseAtPoint] = Field(default_factory=list)


class LocalLaw(Block):
    """At a minimum: the discrete Lyapunov covariance against the measured covariance of its basin's particles."""

    index: int
    particles: int
    covariance_theory: Optional[list[list[float]]] = None
    covariance_measured: Optional[list[list[Optional[float]]]] = None
    stderr: Optional[list[list[Optional[float]]]] = None
    covariance_independent_steps: Optional[list[list[float]]] = Field(
        None, description="epoch-wise shuffles only: the Markov-kernel (independent-step) covariance, which does "
                          "not apply; covariance_theory is then the epoch-shuffle covariance")


class DivergedCount(Block):
    count: int
    fraction: float


class Validity(Block):
    """Whether the theory applies to what ran: diverged particles (excluded everywhere) and warnings."""

    diverged: DivergedCount
    warnings: list[ResultWarning] = Field(default_factory=list)


class ResultBlocks(Block):
    """Every block a result document may carry (simulation and density_evolution)."""

    landscape: Optional[LandscapeBlock] = None
    temperature: Optional[float] = Field(None, description="T = lr/(2B) at the last step, schedule-aware")
    beta: Optional[float] = Field(None, description="2B/lr at the last step")
    histograms: Optional[Histograms] = None
    basins: Optional[Basins] = None
    arrival: Optional[Arrival] = None
    gibbs: Optional[Gibbs] = None
    exit_times: Optional[ExitTimes] = None
    loss_trace: Optional[LossTrace] = None
    trajectories: Optional[Trajectories] = None
    performance: Optional[Performance] = None
    diverged: Optional[Diverged] = Field(None, description="particles that left every finite value")
    stationary: Optional[Stationary] = None
    noise: Optional[Noise] = None
    local_laws: Optional[list[LocalLaw]] = None
    validity: Optional[Validity] = None
    kl_to_stationary: Optional[Numbers] = Field(None, description="density_evolution: KL(rho_t || rho_inf)")
    grid: Optional[Grid] = None
    series_steps: Optional[list[int]] = Field(None, description="density_evolution: steps of the series")
    total_variation_to_stationary: Optional[Numbers] = None
    kernel_builds: Optional[int] = Field(None, description="density_evolution: transition kernels built")


class TheoryExitTime(Block):
    """Exit over one barrier at the analysis temperature, in steps (given lr) and in continuous time."""

    from_: int = Field(..., alias="from")
    to: int
    barrier: Optional[float] = None
    beta_barrier: Optional[float] = None
    kramers_steps: Optional[float] = None
    exact_steps: Optional[float] = None
    kramers_time: Optional[float] = None
    exact_time: Optional[float] = None
    exact_reason: Optional[str] = Field(None, description="why exact_steps is null")
    kramers_reason: Optional[str] = Field(None, description="why kramers_steps is null (with `dynamics`)")


class Theory(Block):
    """POST /v1/landscapes/analyze with a temperature (or lr and batch_size)."""

    temperature: float
    beta: Optional[float] = Field(..., description="1/temperature; null at temperature 0 (see beta_reason)")
    beta_reason: Optional[str] = Field(None, description="why beta is null (with `dynamics`)")
    lr: Optional[float] = None
    basin_fractions: Optional[Numbers] = Field(..., description="stationary (Gibbs, zero-flux) basin fractions; "
                                               "null where the theory has none (see basin_fractions_reason)")
    basin_fractions_reason: Optional[str] = Field(None, description="why basin_fractions is null (with `dynamics`)")
    quadrature_error: Optional[QuadratureError] = None
    exit_times: list[TheoryExitTime]


class Committor(Block):
    """q(w) = P(reach minimum `to` before minimum `from` | start at w) on a grid."""

    from_: int = Field(..., alias="from")
    to: int
    grid: list[list[float]]
    q: Numbers
    layout: str = Field(..., description="'row-major' in 2-D")


class SweepPointSummary(Block):
    """points[].summary of a sweep (the fields of sgdlab.tables.point_summary.SUMMARY_FIELDS); null when the point
    did not observe what a field needs."""

    basin_fractions: Optional[Numbers] = Field(None, description="as basins.final")
    beta_fit: Optional[float] = None
    beta_fit_stderr: Optional[float] = None
    kl_divergence: Optional[float] = Field(None, description="gibbs.kl_divergence; density evolution: KL(final "
                                                             "density || Gibbs) on the grid's cells")
    total_variation: Optional[float] = None
    exit_mean_steps: Optional[float] = None
    exit_ci95: Optional[Numbers] = None
    kramers_steps: Optional[float] = None
    exact_steps: Optional[float] = None
    variance: Optional[Numbers] = Field(None, description="per coordinate, from the final histogram's bin centres")
    loss_mean: Optional[float] = Field(None, description="the loss trace's last mean")
    diverged_fraction: Optional[float] = Field(None, description="validity.diverged.fraction")
    warnings: Optional[list[Any]] = Field(None, description="validity.warnings and exit_times.warnings")


class SweepPointEntry(Block):
    """One point of a sweep's result."""

    index: int
    params: dict[str, Any] = Field(..., description="the axis values of this point, by axis path")
    seed: int
    summary: SweepPointSummary
    result: str = Field(..., description="the path of the point's full result document")


class ArrheniusPoint(Block):
    index: int
    beta: float
    beta_dl: float
    tau: Optional[float] = Field(None, description="lr x mean exit steps")
    tau_ci95: Numbers
    log_tau_stderr: Optional[float] = None
    kramers_tau: Optional[float] = None
    escaped: Optional[int] = None
    censored: Optional[int] = None


class Arrhenius(Block):
    """A weighted least-squares line of log tau on beta dL, beside Kramers."""

    points: list[ArrheniusPoint]
    slope: float
    slope_stderr: Optional[float] = None
    slope_ci95: Numbers
    intercept: float
    intercept_stderr: Optional[float] = None
    intercept_ci95: Numbers
    prefactor: float
    prefactor_ci95: Numbers
    chi2: Optional[float] = None
    dof: Optional[int] = None
    kramers_slope: float
    kramers_prefactor: Optional[float] = None
    note: Optional[str] = None


class ScalingPair(Block):
    a: int
    b: int
    time: float = Field(..., description="lr x steps, equal for both points")
    lr_over_b: Numbers
    same_ratio: bool
    chi2: Optional[float] = None
    dof: Optional[int] = None
    pvalue: Optional[float] = None


class LinearScaling(Block):
    """Two-sample chi-square between the final histograms of points at equal continuous time."""

    pairs: list[ScalingPair]
    pairs_left_out: int
    min_pvalue_same_ratio: Optional[float] = None
    max_pvalue_different_ratio: Optional[float] = None
    test: Optional[str] = None


class BasinsAtBeta(Block):
    index: int
    beta: float
    fractions: Numbers
    stderr: Numbers
    gibbs: Optional[Numbers] = None
    total_variation: Optional[float] = None


class BasinsVsBeta(Block):
    points: list[BasinsAtBeta]


class StabilityPoint(Block):
    index: int
    lr: float
    lambda_max: float
    lr_lambda_max: float
    diverged_fraction: Optional[float] = None


class StabilityEdge(Block):
    """The diverged fraction against lr x lambda_max, and where it crosses 1/2."""

    points: list[StabilityPoint]
    edge_theory: float
    edge_observed: Optional[float] = None
    note: Optional[str] = None


class SweepAnalyses(Block):
    """Cross-point analyses, each present only when the sweep's points support it."""

    arrhenius: Optional[Arrhenius] = None
    linear_scaling: Optional[LinearScaling] = None
    basins_vs_beta: Optional[BasinsVsBeta] = None
    stability: Optional[StabilityEdge] = None


class SweepPerformance(Block):
    seconds: float
    points: int
    particle_steps: int


class SweepResult(Block):
    """The result document of a sweep (docs/API.md "Sweeps")."""

    job_id: Optional[str]
    kind: str = "sweep"
    seed: int
    spec: dict[str, Any]
    mode: str = Field(..., description="product | zip")
    repeats: int
    axes: list[str] = Field(..., description="the axis paths, in order")
    points: list[SweepPointEntry]
    analyses: SweepAnalyses
    performance: SweepPerformance
