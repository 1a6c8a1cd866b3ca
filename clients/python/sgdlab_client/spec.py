"""Typed request documents (job, landscape, schedule, dynamics, init, observe) and the `simulation` builders.

These models only shape the JSON the service expects (docs/API.md); the service is the one validator, so the
models stay lenient (extra fields pass through) and do not repeat its bounds. Only fields that were set are
sent, so the service's own defaults apply to everything left out.
"""

from __future__ import annotations

from typing import Any, Literal, Mapping, Optional, Sequence, Union

from pydantic import BaseModel, ConfigDict, Field

Range = list[tuple[float, float]]


class RequestModel(BaseModel):
    """Base of request documents: extra fields allowed; `to_json()` sends only what was set, by alias."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        """The JSON body (fields that were set; aliases such as `from`)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class Schedule(RequestModel):
    """SCHEDULE: `{"schedule": NAME, ...parameters}`; see `sgdlab_client.schedules` for the builders."""

    schedule: Literal["constant", "step", "exponential", "cosine", "cyclic", "inverse_log", "warmup_cosine"]


class FiniteSum(RequestModel):
    """L(w) = mean over data rows of `per_sample`."""

    per_sample: str
    variables: list[str] = Field(default_factory=lambda: ["w"])
    data: dict[str, Any]
    range: Optional[Range] = None


class Landscape(RequestModel):
    """LANDSCAPE: exactly one of `builtin` (+ params), `expression` (+ variables) or `finite_sum`."""

    builtin: Optional[str] = None
    params: Optional[dict[str, Any]] = None
    expression: Optional[str] = None
    variables: Optional[list[str]] = None
    range: Optional[Range] = None
    finite_sum: Optional[FiniteSum] = None


class Dynamics(RequestModel):
    """How particles move: method, lr (number or schedule), batch size, noise model."""

    method: Optional[Literal["langevin", "minibatch_sgd", "gradient_descent"]] = None
    lr: Optional[Union[float, Schedule]] = None
    batch_size: Optional[int] = None
    noise: Optional[Literal["isotropic", "gradient_covariance"]] = None
    replacement: Optional[bool] = None


class UniformInit(RequestModel):
    low: list[float]
    high: list[float]


class NormalInit(RequestModel):
    mean: list[float]
    std: float


class Init(RequestModel):
    """Where particles start: exactly one of uniform, point, normal or minimum (see `sgdlab_client.initial`)."""

    uniform: Optional[UniformInit] = None
    point: Optional[list[float]] = None
    normal: Optional[NormalInit] = None
    minimum: Optional[int] = None


class TimeAverage(RequestModel):
    burn_in: Optional[int] = None
    every: Optional[int] = None


class HistogramObs(RequestModel):
    bins: Optional[Union[int, list[int]]] = None
    range: Optional[Range] = None
    snapshots: Optional[list[int]] = None
    time_average: Optional[TimeAverage] = None


class ExitTimesObs(RequestModel):
    from_: int = Field(0, alias="from")
    to: int = 1
    radius: Optional[float] = None
    method: Optional[str] = None                # "direct" | "splitting" | "auto"
    coordinate: Optional[Union[str, dict[str, str]]] = None
    repetitions: Optional[int] = None
    level_fraction: Optional[float] = None


class ArrivalObs(RequestModel):
    bins: Optional[Union[int, list[int]]] = None


class LossTraceObs(RequestModel):
    every: Optional[int] = None


class TrajectoriesObs(RequestModel):
    count: Optional[int] = None
    every: Optional[int] = None


class Observe(RequestModel):
    """What to record; each block optional (service default: final histogram, basins, gibbs)."""

    histogram: Optional[HistogramObs] = None
    basins: Optional[bool] = None
    gibbs: Optional[bool] = None
    exit_times: Optional[ExitTimesObs] = None
    arrival: Optional[ArrivalObs] = None
    loss_trace: Optional[LossTraceObs] = None
    trajectories: Optional[TrajectoriesObs] = None


class Grid(RequestModel):
    """density_evolution: grid points per axis and range."""

    points: Optional[int] = None
    range: Optional[Range] = None


class JobSpec(RequestModel):
    """The body of POST /v1/jobs (kind `simulation` or `density_evolution`)."""

    kind: Optional[Literal["simulation", "density_evolution"]] = None
    landscape: Landscape
    dynamics: Optional[Dynamics] = None
    init: Optional[Init] = None
    particles: Optional[int] = None
    steps: Optional[int] = None
    seed: Optional[int] = None
    observe: Optional[Observe] = None
    grid: Optional[Grid] = None


LandscapeLike = Union[Landscape, Mapping[str, Any]]
LrLike = Union[float, Schedule, Mapping[str, Any]]


def _given(**kwargs: Any) -> dict[str, Any]:
    """Keyword arguments that are not None (so unset fields stay unset and the service defaults apply)."""
    return {k: v for k, v in kwargs.items() if v is not None}


def make_observe(histogram: Union[bool, int, Mapping[str, Any], HistogramObs, None] = None,
                 basins: Optional[bool] = None, gibbs: Optional[bool] = None,
                 exit_times: Union[tuple[int, int], Mapping[str, Any], ExitTimesObs, None] = None,
                 arrival: Union[int, Mapping[str, Any], ArrivalObs, None] = None,
                 loss_trace: Union[int, Mapping[str, Any], LossTraceObs, None] = None,
                 trajectories: Union[int, Mapping[str, Any], TrajectoriesObs, None] = None) -> Observe:
    """An Observe block from short forms: `histogram=200` (bins), `histogram=False` (none),
    `exit_times=(0, 1)`, `arrival=40` (bins), `loss_trace=100` (every), `trajectories=8` (count)."""
    fields: dict[str, Any] = _given(basins=basins, gibbs=gibbs)
    if histogram is False:
        fields["histogram"] = None
    elif isinstance(histogram, bool):
        pass
    elif isinstance(histogram, int):
        fields["histogram"] = HistogramObs(bins=histogram)
    elif histogram is not None:
        fields["histogram"] = HistogramObs.model_validate(histogram)
    if isinstance(exit_times, tuple):
        fields["exit_times"] = ExitTimesObs(**{"from": exit_times[0], "to": exit_times[1]})
    elif exit_times is not None:
        fields["exit_times"] = ExitTimesObs.model_validate(exit_times)
    for name, short, cls in (("arrival", "bins", ArrivalObs), ("loss_trace", "every", LossTraceObs),
                             ("trajectories", "count", TrajectoriesObs)):
        value = {"arrival": arrival, "loss_trace": loss_trace, "trajectories": trajectories}[name]
        if isinstance(value, bool):
            if value:
                fields[name] = cls()
        elif isinstance(value, int):
            fields[name] = cls(**{short: value})
        elif value is not None:
            fields[name] = cls.model_validate(value)
    return Observe(**fields)


def simulation(landscape: LandscapeLike, lr: Optional[LrLike] = None, batch_size: Optional[int] = None, *,
               method: Optional[str] = None, noise: Optional[str] = None, replacement: Optional[bool] = None,
               init: Union[Init, Mapping[str, Any], None] = None, particles: Optional[int] = None,
               steps: Optional[int] = None, seed: Optional[int] = None,
               observe: Union[Observe, Mapping[str, Any], None] = None, **observe_kwargs: Any) -> JobSpec:
    """A simulation JobSpec; observe blocks may be given inline (`histogram=200, exit_times=(0, 1)`)."""
    return _job("simulation", landscape, lr, batch_size, method, noise, replacement, init, particles, steps,
                seed, observe, observe_kwargs, None)


def density_evolution(landscape: LandscapeLike, lr: Optional[LrLike] = None, batch_size: Optional[int] = None, *,
                      init: Union[Init, Mapping[str, Any], None] = None, steps: Optional[int] = None,
                      points: Optional[int] = None, range: Optional[Sequence[Sequence[float]]] = None,
                      snapshots: Optional[Sequence[int]] = None, seed: Optional[int] = None) -> JobSpec:
    """A density_evolution JobSpec: the exact grid evolution of SGD's Markov chain."""
    grid = Grid(**_given(points=points, range=[tuple(r) for r in range] if range is not None else None))
    observe = make_observe(histogram={"snapshots": list(snapshots)}) if snapshots is not None else None
    return _job("density_evolution", landscape, lr, batch_size, None, None, None, init, None, steps, seed,
                observe, {}, grid)


def _job(kind: str, landscape: LandscapeLike, lr: Optional[LrLike], batch_size: Optional[int],
         method: Optional[str], noise: Optional[str], replacement: Optional[bool], init: Any,
         particles: Optional[int], steps: Optional[int], seed: Optional[int], observe: Any,
         observe_kwargs: dict[str, Any], grid: Optional[Grid]) -> JobSpec:
    dynamics = Dynamics(**_given(method=method, lr=lr, batch_size=batch_size, noise=noise, replacement=replacement))
    if observe is None and observe_kwargs:
        observe = make_observe(**observe_kwargs)
    elif observe_kwargs:
        raise TypeError("give either observe=... or inline observe keywords, not both")
    fields = _given(init=init, particles=particles, steps=steps, seed=seed, observe=observe, grid=grid)
    return JobSpec(kind=kind, landscape=Landscape.model_validate(landscape), dynamics=dynamics, **fields)


def request_body(spec: Union[RequestModel, Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON body of a request given as a model or as a plain mapping."""
    return spec.to_json() if isinstance(spec, RequestModel) else dict(spec)


def sweep_request(base: Union[RequestModel, Mapping[str, Any]], axes: list[Mapping[str, Any]],
                  mode: str = "product", repeats: int = 1) -> dict[str, Any]:
    """The body of a sweep job: `base` (a job) with `axes` ([{"path", "values" | "linspace" | "geomspace"}])."""
    return {"kind": "sweep", "base": request_body(base), "axes": [dict(a) for a in axes], "mode": mode,
            "repeats": repeats}
