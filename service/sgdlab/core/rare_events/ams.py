"""Adaptive multilevel splitting (AMS) for the exit of a discrete-time chain from minimum a into a ball around b.

Regions (all balls, so they do not depend on the reaction coordinate):
- A     = {|w - a| <= r_a}: the bottom of the starting well;
- Sigma = {|w - a| >= r_sigma}, r_sigma > r_a: leaving the neighbourhood of A;
- B     = {|w - b| <  r_b}: the target, exactly as the direct first-passage observer defines it.

One repetition (`run_repetitions` runs several in lockstep) does two things on the job's own one-step function:
1. Cycles, by direct simulation of n particles started at a: the time T0 to the first exit through Sigma, then
   the excursion back to A (duration F), then the return to Sigma (duration R). The second Sigma-crossing points
   sample the law of the excursion starts in the renewal picture.
2. AMS (Cerou & Guyader 2007; Brehier et al. 2016) from n such starts: each replica runs until it hits A or B
   (at most `max_steps` steps); its score is the maximum of xi along its path (+inf if it reached B). At each
   iteration the level Z is the k-th smallest score; every replica with score <= Z is killed (ties included,
   which keeps the estimator unbiased) and rebranched from a uniformly chosen survivor at the survivor's first
   step with xi > Z, then continued with fresh noise. With K_j killed at iteration j, the unbiased estimate of
   p = P(reach B before A | start on Sigma) is prod_j (1 - K_j / n) * (replicas that reached B) / n.
The same weights give an unbiased estimate of E[S 1_B], S the duration of a reactive excursion (Sigma -> B).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import SpecError

Stepper = Callable[[np.ndarray, int, np.random.Generator], None]   # step(w, t, rng) in place
Coordinate = Callable[[np.ndarray], np.ndarray]

REACHED_B, REACHED_A, TRUNCATED = 1, 0, -1
PATHS_KEPT = 4            # reactive trajectories returned per repetition
PATH_POINTS = 200         # points kept per returned trajectory


class SplittingFailed(SpecError):
    """A splitting run cannot produce an estimate with this request (e.g. no excursion finished within `steps`):
    the job fails as a 422 problem naming the field to change."""


@dataclass(frozen=True)
class Regions:
    """The balls A (around a), Sigma's radius, and B (around b)."""

    a: np.ndarray
    r_a: float
    r_sigma: float
    b: np.ndarray
    r_b: float

    def in_a(self, w: np.ndarray) -> np.ndarray:
        """Rows of w inside A."""
        d = w - self.a
        return np.einsum("nd,nd->n", d, d) <= self.r_a ** 2

    def out_sigma(self, w: np.ndarray) -> np.ndarray:
        """Rows of w on or beyond Sigma."""
        d = w - self.a
        return np.einsum("nd,nd->n", d, d) >= self.r_sigma ** 2

    def in_b(self, w: np.ndarray) -> np.ndarray:
        """Rows of w inside B (strictly, as the direct first-passage observer)."""
        d = w - self.b
        return np.einsum("nd,nd->n", d, d) < self.r_b ** 2     # callers silence the nan warnings


@dataclass
class Excursion:
    """One replica: its path (positions and xi) from its excursion start, and how it ended."""

    w: np.ndarray          # (L + 1, d)
    xi: np.ndarray         # (L + 1,)
    outcome: int

    @property
    def steps(self) -> int:
        """Steps from the excursion's start."""
        return len(self.xi) - 1

    @property
    def score(self) -> float:
        """The AMS score: the maximum of xi along the path, +inf if the path reached B, -inf if it diverged
        (so it is killed first and never branched from)."""
        if self.outcome == REACHED_B:
            return math.inf
        top = float(self.xi.max())
        return top if math.isfinite(top) and np.isfinite(self.w[-1]).all() else -math.inf


def run_excursions(step: Stepper, xi: Coordinate, regions: Regions, starts: np.ndarray, max_steps: int,
                   rng: np.random.Generator) -> tuple[list[Excursion], int]:
    """Run each start (K, d) until it enters A or B (or max_steps pass), all in one vectorised block.

    Returns the excursions (path from the start, inclusive) and the particle-steps spent. The running block
    is kept compact (finished rows are dropped), and a row that stops being finite is dropped as truncated."""
    k = len(starts)
    wa = np.array(starts, dtype=float)
    outcome = np.full(k, TRUNCATED)
    b0, a0 = regions.in_b(wa), regions.in_a(wa)
    outcome[b0] = REACHED_B
    outcome[a0 & ~b0] = REACHED_A
    rows, pos, xis = [np.arange(k)], [wa.copy()], [xi(wa)]
    active = np.flatnonzero(outcome == TRUNCATED)
    wa = wa[active]
    cost = 0
    t = 0
    with np.errstate(all="ignore"):
        while active.size and t < max_steps:
            step(wa, t, rng)
            cost += active.size
            rows.append(active)
            pos.append(wa.copy())
            xis.append(xi(wa))
            hit_b = regions.in_b(wa)
            hit_a = regions.in_a(wa)
            t += 1
            if t % 64 == 0:
                hit_a |= ~np.isfinite(wa).all(axis=1)       # diverged: stop it (it stays TRUNCATED)
            done = hit_a | hit_b
            if done.any():
                outcome[active[hit_b]] = REACHED_B
                outcome[active[hit_a & ~hit_b & np.isfinite(wa).all(axis=1)]] = REACHED_A
                keep = ~done
                active, wa = active[keep], wa[keep]
    idx = np.concatenate(rows)
    small = np.int16 if k <= np.iinfo(np.int16).max else np.int64      # 16-bit keys: NumPy's radix sort
    order = np.argsort(idx.astype(small), kind="stable")                # per replica, in time order
    counts = np.bincount(idx, minlength=k)
    all_w = np.concatenate(pos)[order]
    all_xi = np.concatenate(xis)[order]
    bounds = np.concatenate([[0], np.cumsum(counts)])
    out = [Excursion(all_w[bounds[i]:bounds[i + 1]], all_xi[bounds[i]:bounds[i + 1]], int(outcome[i]))
           for i in range(k)]
    return out, cost


@dataclass
class CycleStats:
    """Direct estimates from particles started at a: first exit, one loop, and the next excursion starts."""

    first_exit: np.ndarray       # T0 per particle that left through Sigma
    loops: np.ndarray            # F + R per particle that went back to A and out through Sigma again
    starts: np.ndarray           # (m, d) the second Sigma-crossing points
    reached_b: int               # first excursions from Sigma that reached B (a direct estimate of p)
    excursions: int              # first excursions from Sigma that ended in A or B
    cost: int


def run_cycles(step: Stepper, regions: Regions, n: int, max_steps: int, rng: np.random.Generator,
               groups: int = 1) -> list[CycleStats]:
    """Simulate groups x n particles from a through: exit of Sigma (T0), excursion to A or B (F), return to
    Sigma (R); particle i belongs to group i // n. Each stage is bounded by max_steps (a particle over the
    bound is dropped from that stage on)."""
    total = n * groups
    w = np.tile(regions.a, (total, 1)).astype(float)
    stage = np.zeros(total, dtype=np.int8)  # 0: to Sigma, 1: to A or B, 2: back to Sigma, 3: done, 4: dropped
    since = np.zeros(total, dtype=np.int64)     # steps in the current stage
    t0 = np.full(total, -1, dtype=np.int64)
    f = np.full(total, -1, dtype=np.int64)
    loop = np.full(total, -1, dtype=np.int64)
    ended = np.zeros(total, dtype=np.int8)      # 1: first excursion ended in A, 2: in B
    cost = np.zeros(total, dtype=np.int64)
    t = 0
    with np.errstate(all="ignore"):
        while True:
            active = np.flatnonzero(stage < 3)
            if not active.size:
                break
            wa = w[active]
            step(wa, t, rng)
            w[active] = wa
            cost[active] += 1
            t += 1
            since[active] += 1
            st = stage[active]
            out = regions.out_sigma(wa)
            # stage 0 -> 1 on leaving Sigma (a jump straight into B is a reactive excursion of length 0)
            i = active[(st == 0) & out]
            t0[i] = since[i]
            since[i] = 0
            stage[i] = 1
            st = stage[active]
            # stage 1 ends in B (success, particle done) or A (failure, go on to stage 2)
            s1 = st == 1
            inb = regions.in_b(wa)
            b_end, a_end = s1 & inb, s1 & regions.in_a(wa) & ~inb
            ended[active[b_end]] = 2
            stage[active[b_end]] = 3
            i = active[a_end]
            ended[i] = 1
            f[i] = since[i]
            since[i] = 0
            stage[i] = 2
            # stage 2 ends on leaving Sigma: a new excursion start
            i = active[(st == 2) & out]
            loop[i] = f[i] + since[i]
            stage[i] = 3
            over = (stage[active] < 3) & ((since[active] >= max_steps) | ~np.isfinite(wa).all(axis=1))
            stage[active[over]] = 4
    out_stats = []
    for g in range(groups):
        sl = slice(g * n, (g + 1) * n)
        t0g, loopg = t0[sl], loop[sl]
        out_stats.append(CycleStats(first_exit=t0g[t0g >= 0].astype(float), loops=loopg[loopg >= 0].astype(float),
                                    starts=w[sl][loopg >= 0].copy(), reached_b=int((ended[sl] == 2).sum()),
                                    excursions=int((ended[sl] > 0).sum()), cost=int(cost[sl].sum())))
    return out_stats


@dataclass
class AmsResult:
    """The AMS estimate of p and of E[S 1_B], with its bookkeeping."""

    probability: float
    reactive_steps_weighted: float      # unbiased estimate of E[S 1_B]
    iterations: int
    levels: list[float]
    killed: list[int]
    cost: int
    truncated: int
    reactive: list[Excursion]


def ams_iterations(starts: np.ndarray, fraction: float, rng: np.random.Generator, max_iterations: int,
                   max_path_values: float = math.inf):
    """AMS as a coroutine, so that several independent runs can share one vectorised stepping loop.

    Yields arrays of excursion starts, is sent back the finished excursions (list of Excursion and their
    particle-steps), and returns its AmsResult; see the module docstring for the algorithm."""
    n = len(starts)
    k = max(1, int(math.floor(fraction * n)))
    reps, cost = yield starts
    scores = np.array([r.score for r in reps])
    log_weight = 0.0
    levels: list[float] = []
    killed_counts: list[int] = []
    iterations = 0
    extinct = False
    while True:
        z = float(np.partition(scores, k - 1)[k - 1])
        if z == math.inf:
            break
        killed = np.flatnonzero(scores <= z)
        if killed.size == n:
            extinct = True
            break
        if iterations >= max_iterations:
            raise SplittingFailed(f"splitting did not reach the target within {max_iterations} iterations "
                                  "(the reaction coordinate may be flat); try another coordinate",
                                  "observe.exit_times.coordinate")
        survivors = np.flatnonzero(scores > z)
        parents = survivors[rng.integers(0, survivors.size, size=killed.size)]
        cuts = []
        branch = np.empty((killed.size, starts.shape[1]))
        first_above = {}
        for p in np.unique(parents):
            above = reps[p].xi > z
            first_above[p] = int(above.argmax()) if above.any() else reps[p].steps   # a B-hit with xi <= z
        for j, p in enumerate(parents):
            cut = first_above[p]
            cuts.append(cut)
            branch[j] = reps[p].w[cut]
        new, c = yield branch
        cost += c
        for i, p, cut, e in zip(killed, parents, cuts, new):
            reps[i] = Excursion(np.concatenate([reps[p].w[:cut], e.w]), np.concatenate([reps[p].xi[:cut], e.xi]),
                                e.outcome)
            scores[i] = reps[i].score
        held = sum(len(r.xi) for r in reps) * (starts.shape[1] + 1)
        if held > max_path_values:
            raise SplittingFailed(f"the replica paths hold {held:g} numbers, beyond the limit "
                                  f"max_splitting_path_values; use fewer particles or steps", "particles")
        log_weight += math.log1p(-killed.size / n)
        levels.append(z)
        killed_counts.append(int(killed.size))
        iterations += 1
    reached = [r for r in reps if r.outcome == REACHED_B]
    weight = 0.0 if extinct else math.exp(log_weight) / n
    return AmsResult(probability=weight * len(reached),
                     reactive_steps_weighted=weight * float(sum(r.steps for r in reached)),
                     iterations=iterations, levels=levels, killed=killed_counts, cost=cost,
                     truncated=sum(r.outcome == TRUNCATED for r in reps), reactive=reached[:PATHS_KEPT])


def run_lockstep(runs: list, step: Stepper, xi: Coordinate, regions: Regions, max_steps: int,
                 rng: np.random.Generator, on_round: Callable[[int], None] | None = None) -> list[AmsResult]:
    """Drive several ams_iterations coroutines together: their excursions run in one block per round;
    on_round(round) is called between rounds (progress, cancellation)."""
    results: list[AmsResult | None] = [None] * len(runs)
    pending = {i: r.send(None) for i, r in enumerate(runs)}
    rounds = 0
    while pending:
        if on_round is not None:
            on_round(rounds)
        rounds += 1
        order = sorted(pending)
        sizes = [len(pending[i]) for i in order]
        excursions, _ = run_excursions(step, xi, regions, np.concatenate([pending[i] for i in order]),
                                       max_steps, rng)
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        nxt = {}
        for j, i in enumerate(order):
            part = excursions[bounds[j]:bounds[j + 1]]
            try:
                nxt[i] = runs[i].send((part, sum(e.steps for e in part)))
            except StopIteration as stop:
                results[i] = stop.value
        pending = nxt
    return results


def thin_path(w: np.ndarray, points: int = PATH_POINTS) -> list[list[float]]:
    """At most `points` evenly spaced positions of a path (first and last kept), as JSON lists."""
    if len(w) > points:
        w = w[np.unique(np.round(np.linspace(0, len(w) - 1, points)).astype(int))]
    return [[float(v) for v in row] for row in w]


def run_repetitions(step: Stepper, xi: Coordinate, regions: Regions, n: int, max_steps: int, fraction: float,
                    rng: np.random.Generator, max_iterations: int, repetitions: int = 1,
                    max_path_values: float = math.inf,
                    on_round: Callable[[int], None] | None = None) -> list[dict]:
    """Independent repetitions (cycle statistics by direct simulation, then AMS from the cycles' starts), run
    in lockstep in one process. Returns per repetition the sums (not means) that mfpt_estimator pools."""
    cycles = run_cycles(step, regions, n, max_steps, rng, repetitions)
    runs = []
    for c in cycles:
        if len(c.starts) == 0:
            raise SplittingFailed("no particle left the starting well, came back and left again within `steps` "
                                  "steps; increase steps", "steps")
        runs.append(ams_iterations(c.starts[np.arange(n) % len(c.starts)], fraction, rng, max_iterations,
                                   max_path_values / repetitions))
    results = run_lockstep(runs, step, xi, regions, max_steps, rng, on_round)
    return [{"first_exit_sum": float(c.first_exit.sum()), "first_exit_count": int(c.first_exit.size),
             "loop_sum": float(c.loops.sum()), "loop_count": int(c.loops.size),
             "direct_reached_b": c.reached_b, "direct_excursions": c.excursions,
             "probability": r.probability, "reactive_steps_weighted": r.reactive_steps_weighted,
             "iterations": r.iterations, "levels": r.levels, "killed": r.killed,
             "truncated": r.truncated, "replicas": n, "level_fraction": fraction,
             "cost_particle_steps": int(c.cost + r.cost),
             "reactive_paths": [{"steps": e.steps, "path": thin_path(e.w)} for e in r.reactive]}
            for c, r in zip(cycles, results)]
