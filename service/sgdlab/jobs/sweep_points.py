"""A sweep's points: its axes expanded into one job spec per point and repeat, their seeds, and the checks that
make a bad grid a 422 at submission (naming the axis and the point)."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..core.errors import LimitExceeded, SpecError
from ..limits import DEFAULT_LIMITS, Limits
from ..spec import DERIVED_AXES, JobRequest, SweepRequest
from .work import validate_job

COST_PATHS = ("particles", "steps", "time")
"""Axes whose values change a point's particles x steps (the sweep's cost bound names the first one)."""


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its index, the axis values it sets (by path), its seed and its full job spec."""

    index: int
    params: dict[str, Any]
    seed: int
    spec: JobRequest


def axis_values(axis, i: int, limits: Limits = DEFAULT_LIMITS) -> list:
    """The values of axis `i` (from `values`, `linspace` or `geomspace`); SpecError naming the axis otherwise
    (a spacing's n is bounded by max_sweep_points before any value is made)."""
    if axis.values is not None:
        if not axis.values:
            raise SpecError("must hold at least one value", f"axes[{i}].values")
        return list(axis.values)
    key = "linspace" if axis.linspace is not None else "geomspace"
    lo, hi, n = getattr(axis, key)
    if n < 1:
        raise SpecError(f"n must be at least 1 (got {n})", f"axes[{i}].{key}")
    if n > limits.max_sweep_points:
        raise LimitExceeded("axes", "max_sweep_points", limits.max_sweep_points, n)
    if key == "geomspace":
        if lo <= 0 or hi <= 0:
            raise SpecError(f"lo and hi must be positive (got {lo:g}, {hi:g})", f"axes[{i}].{key}")
        return [float(v) for v in np.geomspace(lo, hi, n)]
    return [float(v) for v in np.linspace(lo, hi, n)]


def _combinations(req: SweepRequest, values: list[list]) -> list[tuple]:
    """The grid's value tuples in order: every combination (product, last axis fastest) or the i-th of each (zip)."""
    if req.mode == "zip":
        n = len(values[0])
        for i, v in enumerate(values[1:], start=1):
            if len(v) != n:
                raise SpecError(f"zip mode needs axes of equal length: axes[0] has {n} values, axes[{i}] has "
                                f"{len(v)}", f"axes[{i}]")
        return list(zip(*values))
    return list(itertools.product(*values))


def _set_path(doc: dict, path: str, value: Any, field: str) -> None:
    """doc[path] = value for a dotted path (digits index lists); SpecError naming `field` when it cannot be set."""
    keys = path.split(".")
    node: Any = doc
    for key in keys[:-1]:
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise SpecError(f"'{path}': no element {key} in the base job", field)
            node = node[int(key)]
        elif isinstance(node, dict):
            if node.get(key) is None:
                node[key] = {}
            node = node[key]
        else:
            raise SpecError(f"'{path}': '{key}' is not an object in the base job", field)
    last = keys[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise SpecError(f"'{path}': no element {last} in the base job", field)
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise SpecError(f"'{path}' does not lead to an object in the base job", field)


def _apply_derived(doc: dict, derived: dict[str, float], fields: dict[str, str]) -> None:
    """Set lr from `temperature` (lr = 2 B T) or `lr_over_b` (lr = ratio B), then steps from `time` (time / lr)."""
    dyn = doc.setdefault("dynamics", {})
    batch = dyn.get("batch_size", 1)
    if "temperature" in derived and "lr_over_b" in derived:
        raise SpecError("'temperature' and 'lr_over_b' both set the learning rate; use one", fields["lr_over_b"])
    for name, factor in (("temperature", 2.0), ("lr_over_b", 1.0)):
        if name in derived:
            value = derived[name]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise SpecError(f"'{name}' values must be positive numbers (got {value!r})", fields[name])
            dyn["lr"] = factor * float(value) * batch
    if "time" in derived:
        lr = dyn.get("lr", 0.01)
        time = derived["time"]
        if not isinstance(lr, (int, float)) or isinstance(lr, bool):
            raise SpecError("the 'time' axis needs a constant learning rate (steps = time / lr)", fields["time"])
        if not isinstance(time, (int, float)) or isinstance(time, bool) or time < 0:
            raise SpecError(f"'time' values must be non-negative numbers (got {time!r})", fields["time"])
        doc["steps"] = int(round(float(time) / lr))


def point_seeds(seed: int, n: int) -> list[int]:
    """n independent seeds from SeedSequence(seed).spawn(n) (63-bit, valid as job seeds)."""
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in np.random.SeedSequence(seed).spawn(n)]


def _validation_field(e: ValidationError) -> tuple[str, str, bool]:
    """(location, message, unknown_field) of a point's first pydantic error."""
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err.get("loc", ()) if not (isinstance(x, str) and not x[:1].islower()))
    return loc, err.get("msg", "invalid"), err.get("type") == "extra_forbidden"


def _axis_for(field: str | None, paths: list[str]) -> int | None:
    """The axis that sets `field` (or a field inside it), or None."""
    if not field:
        return None
    for i, p in enumerate(paths):
        target = DERIVED_AXES.get(p, p)
        if field == target or field.startswith(target + ".") or target.startswith(field + "."):
            return i
    return None


def point_count(req: SweepRequest, limits: Limits = DEFAULT_LIMITS) -> int:
    """How many points (grid points x repeats) the sweep has."""
    sizes = [len(axis_values(a, i, limits)) for i, a in enumerate(req.axes)]
    return (sizes[0] if req.mode == "zip" else int(np.prod(sizes, dtype=float))) * req.repeats


def expand_sweep(req: SweepRequest, limits: Limits = DEFAULT_LIMITS, check: bool = True) -> list[SweepPoint]:
    """Every point of the sweep (grid order, then repeats), each a validated job spec; with `check`, every point
    passes validate_job and the total cost is within max_sweep_particle_steps, else SpecError naming the axis."""
    values = [axis_values(a, i, limits) for i, a in enumerate(req.axes)]
    paths = [a.path for a in req.axes]
    for i, p in enumerate(paths):
        if p in paths[:i]:
            raise SpecError(f"'{p}' is already axes[{paths.index(p)}]", f"axes[{i}].path")
        if p == "kind" or p.startswith("kind.") or p == "seed":
            why = "seeds come from base.seed and repeats" if p == "seed" else "a sweep's points share base.kind"
            raise SpecError(f"'{p}' cannot be swept ({why})", f"axes[{i}].path")
    for i, p in enumerate(paths):
        target = DERIVED_AXES.get(p)
        for j, q in enumerate(paths):
            if target is not None and q not in DERIVED_AXES and (q == target or target.startswith(q + ".")):
                raise SpecError(f"'{p}' sets {target}, which axes[{j}] ('{q}') also sets: its values would be "
                                "overwritten; use one", f"axes[{max(i, j)}].path")
    total = point_count(req, limits)
    if total > limits.max_sweep_points:
        raise LimitExceeded("axes", "max_sweep_points", limits.max_sweep_points, total)
    combos = _combinations(req, values)
    base = req.base.model_dump(mode="json", by_alias=True, exclude_none=True)
    seeds = point_seeds(req.base.seed, total)
    points: list[SweepPoint] = []
    for g, combo in enumerate(combos):
        doc = copy.deepcopy(base)
        derived: dict[str, Any] = {}
        fields = {p: f"axes[{i}].values" for i, p in enumerate(paths)}
        for i, (path, value) in enumerate(zip(paths, combo)):
            if path in DERIVED_AXES:
                derived[path] = value
            else:
                _set_path(doc, path, value, f"axes[{i}].path")
        try:
            _apply_derived(doc, derived, fields)
        except SpecError as e:
            raise SpecError(f"point {g * req.repeats}: {e.message}", e.field) from None
        for r in range(req.repeats):
            k = g * req.repeats + r
            doc_k = dict(doc, seed=seeds[k])
            try:
                spec = JobRequest.model_validate(doc_k)
            except ValidationError as e:
                loc, msg, unknown = _validation_field(e)
                axis = _axis_for(loc, paths)
                if axis is None:
                    raise SpecError(f"point {k}: {loc}: {msg}", f"base.{loc}" if loc else "base") from None
                if unknown:
                    raise SpecError(f"unknown field '{paths[axis]}'", f"axes[{axis}].path") from None
                raise SpecError(f"point {k} ({paths[axis]}={combo[axis]!r}): {loc}: {msg}",
                                f"axes[{axis}].values") from None
            points.append(SweepPoint(k, dict(zip(paths, combo)), seeds[k], spec))
    if check:
        _check_points(points, paths, limits, req)
    return points


def _check_points(points: list[SweepPoint], paths: list[str], limits: Limits, req: SweepRequest) -> None:
    """Every point passes validate_job (checked once per distinct spec apart from the seed) and the total cost
    stays within max_sweep_particle_steps."""
    seen: set[str] = set()
    for p in points:
        key = p.spec.model_copy(update={"seed": 0}).model_dump_json()
        if key in seen:
            continue
        seen.add(key)
        try:
            validate_job(p.spec, limits)
        except SpecError as e:
            axis = _axis_for(e.field, paths)
            where = f"axes[{axis}].values" if axis is not None else (f"base.{e.field}" if e.field else "base")
            err = SpecError(f"point {p.index} ({_params_text(p.params)}): {e}", where)
            if isinstance(e, LimitExceeded):
                err = LimitExceeded(where, e.limit, e.value, e.got)
                err.message = f"point {p.index} ({_params_text(p.params)}): {e}"
            raise err from None
    cost = float(sum(p.spec.particles * p.spec.steps for p in points))
    if cost > limits.max_sweep_particle_steps:
        axis = next((i for i, path in enumerate(paths) if path in COST_PATHS), None)
        field = f"axes[{axis}].values" if axis is not None else ("repeats" if req.repeats > 1 else "axes")
        raise LimitExceeded(field, "max_sweep_particle_steps", limits.max_sweep_particle_steps, cost)


def _params_text(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())
