"""Every bound on a request's cost, in one place. Settings read overrides from SGDLAB_LIMITS__<NAME>."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Limits(BaseModel):
    """Upper bounds on what one request may cost. Exceeding one is a 422 (413 for the body) naming it."""

    max_particles: int = Field(10_000_000, description="particles in one job")
    max_steps: int = Field(1_000_000, description="steps in one job")
    max_particle_steps: float = Field(5e9, description="particles x steps in one job")
    max_particle_samples: float = Field(1e11, description="particles x steps x data rows touched per step "
                                        "(1 off finite sums; the batch for minibatch_sgd, else all rows)")
    max_dim: int = Field(20, description="dimension of a landscape")
    max_bins: int = Field(2000, description="histogram bins per axis")
    max_bins_total: int = Field(250_000, description="histogram bins over all axes (product)")
    max_snapshots: int = Field(100, description="snapshot histograms in one job")
    max_trajectories: int = Field(100, description="sample trajectories in one job")
    max_trace_points: int = Field(100_000, description="recorded points of loss traces and trajectories per series")
    max_trajectory_values: int = Field(2_000_000, description="numbers in the trajectories block (count x points x dim)")
    max_histogram_values: int = Field(5_000_000, description="histogram bins over final, time-average and snapshots")
    max_table_rows: int = Field(2_000_000, description="rows of one table or Vega spec of a result (413 beyond, with "
                                "a hint: ?which= or ?step= select part of a histogram table)")
    max_expression_chars: int = Field(2000, description="characters of a formula")
    max_expression_nodes: int = Field(400, description="syntax-tree nodes of a formula")
    max_expression_depth: int = Field(40, description="nesting depth of a formula")
    max_exponent: float = Field(64, description="absolute value of a numeric exponent in a formula")
    max_derivative_nodes: int = Field(200_000, description="nodes of all gradient and Hessian trees of a formula "
                                      "(estimated before each derivative is taken)")
    symbolic_seconds: float = Field(10, description="seconds of symbolic differentiation and compilation of a "
                                    "formula")
    analysis_seconds: float = Field(60, description="seconds of POST /v1/landscapes/analyze (a job analyses "
                                    "without this bound, as its first phase)")
    max_wells: int = Field(64, description="wells of a gaussian_wells landscape")
    max_data_rows: int = Field(100_000, description="rows of finite-sum data")
    max_data_columns: int = Field(32, description="columns of finite-sum data")
    max_markov_states: int = Field(3000, description="states of a Markov chain (the sparse format reaches it)")
    max_markov_dense_states: int = Field(1000, description="states of a Markov chain sent as a dense list of rows "
                                         "(its body must fit max_markov_body_bytes)")
    max_markov_nonzeros: int = Field(1_000_000, description="entries of a Markov chain in the sparse format")
    max_markov_body_bytes: int = Field(32 * 1024 * 1024, description="request body of POST /v1/markov-chains/"
                                       "analyze (413 beyond): a compact dense chain of max_markov_dense_states "
                                       "states, or max_markov_nonzeros sparse entries, fits")
    max_mfpt_values: int = Field(1_000_000, description="mean first passage times in one response (states x "
                                 "targets); 'auto' includes the whole matrix only within it")
    max_markov_steps: int = Field(10_000, description="evolution steps of a Markov chain")
    max_markov_evolution_values: int = Field(2_000_000, description="states x (steps + 1) numbers in a chain's "
                                             "evolution (response size)")
    max_grid_points_1d: int = Field(5000, description="density evolution / exact MFPT grid points in 1-D")
    max_grid_points_2d: int = Field(300, description="density evolution / exact MFPT grid points per axis in 2-D")
    max_kernel_entries: int = Field(20_000_000, description="non-zeros of a density-evolution transition kernel")
    max_kernel_bytes: float = Field(2e9, description="estimated peak memory of a density-evolution job's kernels "
                                    "(non-zeros x 80 bytes in 1-D, x 110 in 2-D)")
    max_sweep_points: int = Field(1000, description="points x repeats of one sweep")
    max_sweep_particle_steps: float = Field(2e10, description="particles x steps summed over a sweep's points")
    min_splitting_particles: int = Field(20, description="fewest replicas of a splitting run (its `particles`)")
    max_splitting_particles: int = Field(100_000, description="replicas of a splitting run (its `particles`)")
    max_splitting_repetitions: int = Field(64, description="independent repetitions of a splitting run")
    max_splitting_iterations: int = Field(20_000, description="AMS iterations of one splitting repetition")
    max_splitting_path_values: float = Field(2e8, description="numbers held in replica paths by one splitting "
                                             "task (it fails beyond)")
    max_queue: int = Field(1000, description="queued jobs in the whole service (429 beyond)")
    max_jobs_per_key: int = Field(200, description="queued or running jobs of one API key (429 beyond)")
    job_wall_seconds: float = Field(3600, description="wall time of one job; it fails beyond")
    max_body_bytes: int = Field(4 * 1024 * 1024, description="request body size (413 beyond)")
    max_plot_dpi: int = Field(400, description="dots per inch of a PNG plot (?dpi=; 7 in wide at 400 dpi is 2800 px)")


DEFAULT_LIMITS = Limits()

#: Compiled stepping kernels kept in the disk cache (one per catalog entry and dimension, formula or finite sum;
#: the oldest are removed beyond). A property of the machine's cache, not of one request, hence not a Limits field.
MAX_CACHED_KERNELS = 256
