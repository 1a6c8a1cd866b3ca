"""A simulation job's splitting run: choose the method (auto), the reaction coordinate and the regions, lay the
repetitions out in picklable tasks, and fold their records into the result.

The repetitions run REPETITIONS_PER_TASK at a time in lockstep (one vectorised stepping loop), each task with
its own SeedSequence child of the job seed, so results depend on the seed and never on the number of workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from sgdlab.core.dynamics.methods import make_method
from sgdlab.core.dynamics.schedules import final_lr
from sgdlab.core.errors import Cancelled, LimitExceeded, SpecError
from sgdlab.core.rare_events.ams import Regions, run_repetitions
from sgdlab.core.rare_events.reaction_coordinate import (DistanceCoordinate, FormulaCoordinate, GridCoordinate,
                                                         coordinate_variables)
from sgdlab.core.simulation.plan import SimulationPlan, landscape_of
from sgdlab.core.simulation.shards import shard_generator
from sgdlab.limits import Limits

REPETITIONS_PER_TASK = 4
SPLITTING_SEED_KEY = 0x5EED_A35          # separates the splitting streams from the shards' streams
AUTO_ESCAPE_FRACTION = 0.01              # auto: splitting when theory predicts fewer escapes than this
A_THERMAL_WIDTHS, SIGMA_THERMAL_WIDTHS = 1.0, 2.0      # r_a, r_sigma in units of sqrt(T / lambda_min)
A_SADDLE_FRACTION, SIGMA_SADDLE_FRACTION = 0.2, 0.4   # ... and at most these fractions of the way to the saddle
FIELD = "observe.exit_times"


@dataclass
class SplittingPlan:
    """Everything a splitting task needs: dynamics, regions, coordinate, sizes and the task layout."""

    plan: SimulationPlan
    lr: float
    regions: Regions
    coordinate: Any
    coordinate_name: str
    replicas: int
    max_steps: int
    fraction: float
    groups: list[int]                   # repetitions run by each task


def _temperature(plan: SimulationPlan) -> float:
    dyn = plan.spec.dynamics
    if dyn.method == "gradient_descent":
        raise SpecError("splitting needs noisy dynamics (gradient descent never escapes)", f"{FIELD}.method")
    return final_lr(dyn.lr, plan.spec.steps) / (2 * dyn.batch_size)


def predicted_exit_steps(plan: SimulationPlan) -> float | None:
    """The theory's mean exit time (steps) for the exit_times pair: exact where available, else Kramers."""
    from sgdlab.theory import exit_times as et
    e = plan.spec.observe.exit_times
    if plan.spec.dynamics.method == "gradient_descent":
        return None
    T = _temperature(plan)
    lr = final_lr(plan.spec.dynamics.lr, plan.spec.steps)
    land = landscape_of(plan.spec.landscape, plan.limits)
    exact = et.exact_mfpt_steps(land, plan.analysis, e.from_, e.to, T, lr, plan.exit_radius, plan.analysis.range)
    return exact if exact is not None else et.kramers_steps(plan.analysis, e.from_, e.to, T, lr)


def wants_splitting(plan: SimulationPlan) -> bool:
    """True for method 'splitting', and for 'auto' when theory predicts < 1% escapes within `steps`."""
    e = plan.spec.observe.exit_times
    if e is None or e.method == "direct":
        return False
    if e.method == "splitting":
        return True
    tau = predicted_exit_steps(plan)
    return tau is not None and -math.expm1(-plan.spec.steps / tau) < AUTO_ESCAPE_FRACTION


def _temperature_at(plan: SimulationPlan, a: np.ndarray, T: float) -> float:
    """The scalar temperature at the point a: T = lr/(2B) for isotropic noise, lr tr(Sigma(a)) / (2B d) for data
    noise (which can be orders of magnitude below lr/(2B) at a minimum)."""
    from .noise import noise_model
    land = landscape_of(plan.spec.landscape, plan.limits)
    model = noise_model(plan.spec.dynamics, land, final_lr(plan.spec.dynamics.lr, plan.spec.steps))
    if not model.state_dependent:
        return T
    return float(np.trace(model.diffusion(land, a.reshape(1, -1))[0])) / land.dim


def _regions(plan: SimulationPlan, T: float) -> Regions:
    e = plan.spec.observe.exit_times
    an = plan.analysis
    a = np.asarray(an.minima[e.from_].location, dtype=float)
    T = _temperature_at(plan, a, T)
    if not T > 0:
        raise SpecError(f"the noise vanishes at minimum {e.from_} (every sample's gradient agrees there): "
                        "particles never leave it, there is no exit time to estimate", f"{FIELD}.from")
    b = np.asarray(plan.exit_target, dtype=float)
    saddle = an.saddle_between(e.from_, e.to) or an.bottleneck_saddle(e.from_, e.to)
    reach = float(np.linalg.norm(saddle.location - a)) if saddle is not None else 0.5 * float(np.linalg.norm(b - a))
    lam = float(np.min(an.minima[e.from_].hessian_eigenvalues))
    width = math.sqrt(T / lam) if lam > 0 else math.inf
    r_a = min(A_THERMAL_WIDTHS * width, A_SADDLE_FRACTION * reach)
    r_sigma = min(SIGMA_THERMAL_WIDTHS * width, SIGMA_SADDLE_FRACTION * reach)
    if not (0 < r_a < r_sigma) or r_sigma + plan.exit_radius >= float(np.linalg.norm(b - a)):
        raise SpecError("the minima are too close for splitting's regions; use a smaller radius", f"{FIELD}.radius")
    return Regions(a=a, r_a=r_a, r_sigma=r_sigma, b=b, r_b=float(plan.exit_radius))


def _coordinate(plan: SimulationPlan, regions: Regions, T: float, limits: Limits) -> tuple[Any, str]:
    e = plan.spec.observe.exit_times
    land = landscape_of(plan.spec.landscape, limits)
    choice = e.coordinate if e.coordinate is not None else ("committor" if land.dim <= 2 else "distance")
    field = f"{FIELD}.coordinate"
    if choice == "committor":
        if land.dim > 2:
            raise SpecError("the committor coordinate needs a 1-D or 2-D landscape; use 'distance' or a formula",
                            field)
        from sgdlab.theory.committor import committor
        points = None if land.dim == 1 else (101 if hasattr(land, "n_samples") else 200)
        try:
            nodes, q = committor(land, plan.analysis, e.from_, e.to, T, grid_points=points,
                                 range=plan.analysis.range, radius=(regions.r_a, regions.r_b))
        except SpecError as exc:
            raise SpecError(f"the committor coordinate could not be computed: {exc.message}", field) from None
        return GridCoordinate(nodes, q), "committor"
    if choice == "distance":
        return DistanceCoordinate(regions.a, regions.b), "distance"
    try:
        xi = FormulaCoordinate(choice.formula, coordinate_variables(land, land.dim), limits)
    except SpecError as exc:
        raise SpecError(exc.message, f"{field}.formula") from None
    ends = xi(np.stack([regions.a, regions.b]))
    if not (np.all(np.isfinite(ends)) and ends[1] > ends[0]):
        raise SpecError(f"the coordinate must be larger at minimum `to` than at `from` (got {ends[0]:g} and "
                        f"{ends[1]:g})", f"{field}.formula")
    return xi, "formula"


def check_splitting_request(plan: SimulationPlan, limits: Limits) -> float:
    """The checks of a splitting request that need no landscape analysis (422s name the field); its temperature."""
    spec = plan.spec
    e = spec.observe.exit_times
    T = _temperature(plan)
    lr = spec.dynamics.lr
    if not isinstance(lr, (int, float)) and lr.schedule != "constant":
        raise SpecError("splitting needs a constant learning rate (a homogeneous chain)", "dynamics.lr")
    if spec.particles < limits.min_splitting_particles:
        raise SpecError(f"splitting needs at least {limits.min_splitting_particles} replicas (particles); "
                        f"got {spec.particles}", "particles")
    if spec.particles > limits.max_splitting_particles:
        raise LimitExceeded("particles", "max_splitting_particles", limits.max_splitting_particles, spec.particles)
    if e.repetitions > limits.max_splitting_repetitions:
        raise LimitExceeded(f"{FIELD}.repetitions", "max_splitting_repetitions", limits.max_splitting_repetitions,
                            e.repetitions)
    if int(math.floor(e.level_fraction * spec.particles)) >= spec.particles:
        raise SpecError("level_fraction must leave at least one survivor", f"{FIELD}.level_fraction")
    if spec.steps < 1:
        raise SpecError("splitting needs steps >= 1 (the bound on one excursion)", "steps")
    return T


def plan_splitting(plan: SimulationPlan, limits: Limits) -> SplittingPlan:
    """Check a splitting request (422s name the field) and fix its regions, coordinate and task layout."""
    spec = plan.spec
    e = spec.observe.exit_times
    lr = spec.dynamics.lr
    T = check_splitting_request(plan, limits)
    regions = _regions(plan, T)
    xi, name = _coordinate(plan, regions, T, limits)
    groups = [min(REPETITIONS_PER_TASK, e.repetitions - i) for i in range(0, e.repetitions, REPETITIONS_PER_TASK)]
    return SplittingPlan(plan=plan, lr=final_lr(lr, spec.steps), regions=regions, coordinate=xi,
                         coordinate_name=name, replicas=spec.particles, max_steps=spec.steps,
                         fraction=e.level_fraction, groups=groups)


def run_splitting_task(sp: SplittingPlan, task: int, hooks=None) -> list[dict]:
    """Run task `task`'s repetitions (in lockstep) and return their records."""
    spec = sp.plan.spec
    seeds = np.random.SeedSequence(spec.seed, spawn_key=(SPLITTING_SEED_KEY,)).spawn(len(sp.groups))
    rng = shard_generator(seeds[task])
    land = landscape_of(spec.landscape, sp.plan.limits)
    count = sp.groups[task]
    method = make_method(land, spec.dynamics, sp.replicas * count)

    def step(w: np.ndarray, t: int, g: np.random.Generator) -> None:
        method.step(w, t, sp.lr, g)

    def on_round(r: int) -> None:
        if hooks is not None:
            if hooks.cancelled():
                raise Cancelled(f"splitting task {task} cancelled at round {r}")
            hooks.progress(task, 1.0 - 1.0 / (1.0 + r / 20.0))     # the number of rounds is not known ahead

    method.start_block(sp.replicas * count, rng)
    records = run_repetitions(step, sp.coordinate, sp.regions, sp.replicas, sp.max_steps, sp.fraction, rng,
                              int(sp.plan.limits.max_splitting_iterations), count,
                              float(sp.plan.limits.max_splitting_path_values), on_round)
    if hooks is not None:
        hooks.progress(task, 1.0)
    return records


def finish_with_splitting(sp: SplittingPlan, shards: int, results: list, seconds: float, job_id: str) -> dict:
    """Merge the direct shards, attach the splitting records, and build the result document."""
    from sgdlab.core.simulation.merge import merge_shards
    from sgdlab.core.simulation.result import build_result
    if shards:
        merged = merge_shards(sp.plan, results[:shards])
    else:       # nothing but exit times observed: no direct particles ran
        merged = {"states": {"exit_times": {"times": np.empty(0, dtype=np.int64)}}, "observers": {},
                  "diverged": 0, "particles": 0, "particle_steps": 0, "worker_seconds": 0.0}
    records = [r for task in results[shards:] for r in task]
    merged["splitting"] = {"records": records, "coordinate": sp.coordinate_name,
                           "regions": {"r_a": sp.regions.r_a, "r_sigma": sp.regions.r_sigma, "r_b": sp.regions.r_b}}
    merged["particle_steps"] += sum(r["cost_particle_steps"] for r in records)
    return build_result(sp.plan, merged, job_id, seconds)


def add_splitting(work, plan: SimulationPlan, limits: Limits):
    """The simulation's JobWork extended by the splitting tasks (after the shards) and their finisher."""
    sp = plan_splitting(plan, limits)
    obs = plan.spec.observe
    if obs.histogram is None and not obs.basins and obs.arrival is None and obs.loss_trace is None \
            and obs.trajectories is None:
        # only exit times are observed: the direct particles (particles x steps) would be spent for nothing
        work = type(work)(tasks=[], weights=[], finish=work.finish, particle_steps=0)
    shards = len(work.tasks)
    total_reps = sum(sp.groups)
    share = 0.5 if shards else 1.0
    weights = [w * (1 - share) for w in work.weights] + [share * g / total_reps for g in sp.groups]
    return type(work)(tasks=work.tasks + [(run_splitting_task, (sp, i)) for i in range(len(sp.groups))],
                      weights=weights, finish=partial(finish_with_splitting, sp, shards),
                      particle_steps=work.particle_steps)
