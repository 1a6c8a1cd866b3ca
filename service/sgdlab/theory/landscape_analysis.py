"""Critical points, barriers and basins of attraction of a landscape: `analyze_landscape` and its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from sgdlab.core.landscapes.base import Landscape
from sgdlab.theory import critical_points_nd as nd
from sgdlab.theory.basin_maps import DescentBasinMap, IntervalBasinMap, LabelGridBasinMap
from sgdlab.theory.critical_points_1d import critical_points_1d
from sgdlab.theory.grids import range_scale, resolve_range

NEAREST_PAIRS = 3  # above 2-D, saddles are sought between each minimum and its nearest few
MAX_SADDLE_PAIRS = 64  # pairs of minima searched for a saddle, closest first (bounds the analysis cost)


@dataclass
class Minimum:
    """A strict local minimum: its index in the analysis, location, loss and ascending Hessian eigenvalues."""

    index: int
    location: np.ndarray
    loss: float
    hessian_eigenvalues: np.ndarray


@dataclass
class Saddle:
    """An index-1 saddle (in 1-D a maximum) and the two minima its unstable direction leads to."""

    location: np.ndarray
    loss: float
    hessian_eigenvalues: np.ndarray
    connects: tuple[int, int]


@dataclass
class Barrier:
    """The height to climb from minimum `from_` to the lowest saddle towards minimum `to`."""

    from_: int
    to: int
    height: float


def _floats(a: Any) -> list[float]:
    return [float(v) for v in np.atleast_1d(np.asarray(a, dtype=float))]


@dataclass
class LandscapeAnalysis:
    """Minima, saddles and barriers of a landscape on a box, with a picklable basin map."""

    dim: int
    range: list[tuple[float, float]]
    minima: list[Minimum]
    saddles: list[Saddle]
    barriers: list[Barrier]
    basin_map: Callable[[np.ndarray], np.ndarray] = field(repr=False)

    def basin_of(self, w: np.ndarray) -> np.ndarray:
        """(n, d) points -> (n,) index of the minimum whose basin holds each point, -1 when none/unknown."""
        return self.basin_map(w)

    def to_dict(self) -> dict[str, Any]:
        """docs/API.md's result.landscape block: plain floats and lists."""
        return {
            "dim": int(self.dim),
            "minima": [{"index": m.index, "location": _floats(m.location), "loss": float(m.loss),
                        "hessian_eigenvalues": _floats(m.hessian_eigenvalues)} for m in self.minima],
            "saddles": [{"location": _floats(s.location), "loss": float(s.loss),
                         "hessian_eigenvalues": _floats(s.hessian_eigenvalues)} for s in self.saddles],
            "barriers": [{"from": b.from_, "to": b.to, "height": float(b.height)} for b in self.barriers],
        }

    def saddle_between(self, i: int, j: int) -> Saddle | None:
        """The lowest saddle directly connecting minima i and j, or None when their basins are not adjacent."""
        cands = [s for s in self.saddles if set(s.connects) == {i, j}]
        return min(cands, key=lambda s: s.loss) if cands else None

    def bottleneck_saddle(self, i: int, j: int) -> Saddle | None:
        """The highest saddle on the path from i to j whose highest saddle is lowest (minimax path), or None."""
        if i == j:
            return None
        best: dict[int, Saddle | None] = {i: None}
        frontier = [i]
        level = {i: -np.inf}
        while frontier:
            k = min(frontier, key=lambda n: level[n])
            frontier.remove(k)
            if k == j:
                return best[k]
            for s in self.saddles:
                if k not in s.connects:
                    continue
                other = s.connects[0] if s.connects[1] == k else s.connects[1]
                new_level = max(level[k], s.loss)
                if new_level < level.get(other, np.inf):
                    level[other] = new_level
                    best[other] = s if (best[k] is None or s.loss >= best[k].loss) else best[k]
                    if other not in frontier:
                        frontier.append(other)
        return None

    def default_exit_radius(self, to: int, from_: int | None = None) -> float:
        """Half the distance from minimum `to` to the nearest saddle on the way (docs/API.md's exit radius default)."""
        target = self.minima[to].location
        saddle = self.bottleneck_saddle(from_, to) if from_ is not None else None
        if saddle is None or to not in saddle.connects:
            touching = [s for s in self.saddles if to in s.connects] or self.saddles
            if touching:
                saddle = min(touching, key=lambda s: np.linalg.norm(s.location - target))
        if saddle is not None:
            return 0.5 * float(np.linalg.norm(saddle.location - target))
        others = [m.location for m in self.minima if m.index != to]
        if others:
            return 0.5 * float(min(np.linalg.norm(o - target) for o in others))
        return 0.5 * range_scale(self.range)


def _hessian_eigs(landscape: Landscape, x: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(landscape.hessian(np.asarray(x, dtype=float)[None, :])[0])


def _make_minima(landscape: Landscape, locations: Sequence[np.ndarray]) -> list[Minimum]:
    return [Minimum(k, np.asarray(x, dtype=float), float(landscape.loss(np.asarray(x)[None, :])[0]),
                    _hessian_eigs(landscape, x)) for k, x in enumerate(locations)]


def _make_saddle(landscape: Landscape, x: np.ndarray, connects: tuple[int, int]) -> Saddle:
    return Saddle(np.asarray(x, dtype=float), float(landscape.loss(x[None, :])[0]), _hessian_eigs(landscape, x),
                  connects)


def _barriers(minima: list[Minimum], saddles: list[Saddle]) -> list[Barrier]:
    """Both directions for each directly connected pair, over its lowest saddle."""
    lowest: dict[tuple[int, int], Saddle] = {}
    for s in saddles:
        if s.connects not in lowest or s.loss < lowest[s.connects].loss:
            lowest[s.connects] = s
    out = []
    for (i, j), s in sorted(lowest.items()):
        out.append(Barrier(i, j, s.loss - minima[i].loss))
        out.append(Barrier(j, i, s.loss - minima[j].loss))
    return out


def _analyze_1d(landscape: Landscape, ranges: list[tuple[float, float]], grid_points: int | None) -> LandscapeAnalysis:
    lo, hi = ranges[0]
    min_x, max_x = critical_points_1d(landscape, lo, hi, grid_points or 20001)
    minima = _make_minima(landscape, [np.array([x]) for x in min_x])
    saddles = []
    for i in range(len(min_x) - 1):
        between = max_x[(max_x > min_x[i]) & (max_x < min_x[i + 1])]
        if len(between):
            vals = landscape.loss(between[:, None])
            saddles.append(_make_saddle(landscape, np.array([between[int(np.argmax(vals))]]), (i, i + 1)))
    segment = np.searchsorted(max_x, min_x)
    segment_basin = np.full(len(max_x) + 1, -1, dtype=np.int64)
    segment_basin[segment] = np.arange(len(min_x))
    return LandscapeAnalysis(1, ranges, minima, saddles, _barriers(minima, saddles),
                             IntervalBasinMap(max_x, segment_basin))


def _dedupe_saddles(landscape: Landscape, found: list[tuple[np.ndarray, tuple[int, int]]],
                    tol: float) -> list[Saddle]:
    kept: list[tuple[np.ndarray, tuple[int, int]]] = []
    for x, c in found:
        if all(np.linalg.norm(x - y) > tol for y, _ in kept):
            kept.append((x, c))
    kept.sort(key=lambda xc: tuple(np.round(xc[0], 6)))
    return [_make_saddle(landscape, x, c) for x, c in kept]


def _find_saddles(landscape: Landscape, ranges, minima_x: list[np.ndarray],
                  guesses: dict[tuple[int, int], np.ndarray | None]) -> list[Saddle]:
    """For each candidate pair: Newton from the guess (if any), else the string method; keep connected saddles.

    At most MAX_SADDLE_PAIRS pairs, the closest first: on landscapes with very many minima (Rastrigin) the
    barriers between far-apart or numerous pairs are left out rather than making the analysis take minutes."""
    scale = range_scale(ranges)
    found = []
    by_distance = sorted(guesses.items(), key=lambda kv: (float(np.linalg.norm(minima_x[kv[0][0]] -
                                                                                minima_x[kv[0][1]])), kv[0]))
    for (a, b), guess in sorted(by_distance[:MAX_SADDLE_PAIRS], key=lambda kv: kv[0]):
        x = nd.index1_saddle(landscape, guess, ranges, 0.02 * scale) if guess is not None else None
        connects = nd.saddle_connects(landscape, x, minima_x, scale) if x is not None else None
        if connects is None:
            x = nd.saddle_on_string(landscape, minima_x[a], minima_x[b], ranges, 0.02 * scale)
            connects = nd.saddle_connects(landscape, x, minima_x, scale) if x is not None else None
        if connects is not None:
            found.append((x, connects))
    return _dedupe_saddles(landscape, found, 1e-6 * scale)


def _analyze_2d(landscape: Landscape, ranges, grid_points: int | None) -> LandscapeAnalysis:
    minima_x, nodes, values = nd.minima_2d(landscape, ranges, grid_points or 301)
    labels = nd.label_grid(landscape, nodes, minima_x)
    guesses: dict[tuple[int, int], np.ndarray | None] = dict(nd.lowest_passes_2d(labels, values, nodes))
    minima = _make_minima(landscape, minima_x)
    saddles = _find_saddles(landscape, ranges, minima_x, guesses)
    basin_map = LabelGridBasinMap(np.array([n[0] for n in nodes]), np.array([n[1] - n[0] for n in nodes]), labels)
    return LandscapeAnalysis(2, ranges, minima, saddles, _barriers(minima, saddles), basin_map)


def _analyze_nd(landscape: Landscape, ranges, seed: int, grid_points: int | None) -> LandscapeAnalysis:
    d = landscape.dim
    starts = grid_points or min(32 * d, 256)
    minima_x = nd.minima_multistart(landscape, ranges, seed, starts)
    guesses: dict[tuple[int, int], np.ndarray | None] = {}
    if len(minima_x) > 1:
        m = np.array(minima_x)
        dist = np.linalg.norm(m[:, None, :] - m[None, :, :], axis=2)
        np.fill_diagonal(dist, np.inf)
        for i in range(len(m)):
            for j in np.argsort(dist[i])[:NEAREST_PAIRS]:
                if np.isfinite(dist[i, j]):
                    guesses[(min(i, int(j)), max(i, int(j)))] = None
    minima = _make_minima(landscape, minima_x)
    saddles = _find_saddles(landscape, ranges, minima_x, guesses)
    curv = max([float(np.abs(m.hessian_eigenvalues).max()) for m in minima] +
               [float(np.abs(s.hessian_eigenvalues).max()) for s in saddles] + [1e-12])
    scale = range_scale(ranges)
    basin_map = DescentBasinMap(landscape, np.array(minima_x).reshape(-1, d), 1.0 / curv, 0.05 * scale)
    return LandscapeAnalysis(d, ranges, minima, saddles, _barriers(minima, saddles), basin_map)


def analyze_landscape(landscape: Landscape, range: Sequence[Sequence[float]] | None = None, seed: int = 0,
                      grid_points: int | None = None) -> LandscapeAnalysis:
    """Minima, index-1 saddles, barriers and basins of `landscape` on `range` (default: its default range).

    `grid_points`: scan points in 1-D, nodes per axis in 2-D, multi-start count above; deterministic per seed.
    """
    ranges = resolve_range(landscape, range)
    if landscape.dim == 1:
        return _analyze_1d(landscape, ranges, grid_points)
    if landscape.dim == 2:
        return _analyze_2d(landscape, ranges, grid_points)
    return _analyze_nd(landscape, ranges, seed, grid_points)
