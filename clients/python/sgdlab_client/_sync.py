"""The synchronous client: `Client`, its `Job` handle and the `jobs` listing (httpx.Client transport)."""

from __future__ import annotations

import time
from typing import Any, Iterator, Mapping, Optional, Sequence, Union

import httpx

from . import retry
from ._base import BaseClient, Call, JobEvent, job_path, parse_event, raise_for_problem
from .errors import JobFailedError, SgdlabError, TimeoutError
from .models import JobPage, JobStatus, LandscapeAnalysis, LandscapeCatalog, MarkovChainAnalysis
from .progress import ProgressBar
from .results import Result
from .spec import JobSpec, Landscape, sweep_request
from .sse import SSEDecoder

EVENT_READ_TIMEOUT = 60.0


class Client(BaseClient):
    """A blocking client. `Client(url, api_key)`; both default to SGDLAB_URL / SGDLAB_API_KEY. Use as a context
    manager or call `close()`. `transport=` takes any httpx transport (e.g. httpx.MockTransport in tests)."""

    def __init__(self, base_url: Optional[str] = None, api_key: Optional[str] = None, *,
                 timeout: Optional[float] = None, max_retries: Optional[int] = None,
                 backoff_base: Optional[float] = None, backoff_max: Optional[float] = None,
                 transport: Optional[httpx.BaseTransport] = None):
        super().__init__(base_url, api_key, timeout=timeout, max_retries=max_retries,
                         backoff_base=backoff_base, backoff_max=backoff_max)
        self._http = httpx.Client(base_url=self.base_url, headers=self._default_headers(),
                                  timeout=self.config.timeout, transport=transport)
        self.jobs = Jobs(self)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # ---- plumbing -------------------------------------------------------------------------------------------

    def _send(self, call: Call) -> httpx.Response:
        """Send with retries (connection errors, 429, 503), then raise the problem of an error response."""
        attempt = 0
        while True:
            try:
                response = self._http.request(call.method, call.path, json=call.json, params=call.params,
                                              headers=call.headers)
            except httpx.TransportError as exc:
                delay = self._retry_delay(attempt, exc=exc)
                if delay is None:
                    raise self._transport_error(exc) from exc
            else:
                delay = self._retry_delay(attempt, response=response)
                if delay is None:
                    raise_for_problem(response)
                    return response
                response.close()
            retry.sleep(delay)
            attempt += 1

    def _call(self, call: Call) -> Any:
        return call.parse(self._send(call))

    # ---- API ------------------------------------------------------------------------------------------------

    def submit(self, spec: Union[JobSpec, Mapping[str, Any]], *, idempotency_key: Optional[str] = None) -> "Job":
        """Queue a job (POST /v1/jobs). One Idempotency-Key (uuid4 unless given) covers all retries."""
        return Job(self, self._call(self._submit_call(spec, idempotency_key)))

    def sweep(self, base: Union[JobSpec, Mapping[str, Any]], *, axes: Sequence[Mapping[str, Any]],
              mode: str = "product", repeats: int = 1, idempotency_key: Optional[str] = None) -> "Job":
        """Queue a sweep: `base` run at every point of `axes` (mode product or zip, `repeats` seeds per point);
        its result's `to_pandas()` has one row per point."""
        return self.submit(sweep_request(base, list(axes), mode, repeats), idempotency_key=idempotency_key)

    def job(self, job_id: str) -> "Job":
        """A handle on an existing job (fetches its status)."""
        return Job(self, self.status(job_id))

    def status(self, job_id: str) -> JobStatus:
        """The job's status document."""
        return self._call(self._status_call(job_id))

    def result(self, job_id: str) -> Result:
        """The typed result of a finished job (ConflictError while it is not finished)."""
        return self._call(self._result_call(job_id))

    def point_result(self, job_id: str, k: int) -> Result:
        """The full result of point k of a sweep, once that point has finished (NotFoundError before)."""
        return self._call(self._point_result_call(job_id, k))

    def cancel(self, job_id: str) -> JobStatus:
        """Cancel a queued or running job (ConflictError when already finished)."""
        return self._call(self._cancel_call(job_id))

    def events(self, job_id: str, read_timeout: Optional[float] = EVENT_READ_TIMEOUT) -> Iterator[JobEvent]:
        """The job's SSE stream as ProgressEvent and (last) JobStatus objects."""
        timeout = httpx.Timeout(self.config.timeout, read=read_timeout)
        with self._http.stream("GET", job_path(job_id, "/events"), headers=self._events_headers(),
                               timeout=timeout) as response:
            if response.status_code >= 400:
                response.read()
                raise_for_problem(response)
            decoder = SSEDecoder()
            for line in response.iter_lines():
                sse = decoder.feed(line)
                event = parse_event(sse) if sse is not None else None
                if event is not None:
                    yield event

    def landscapes(self) -> LandscapeCatalog:
        """The built-in landscape catalog."""
        return self._call(self._landscapes_call())

    def analyze_landscape(self, landscape: Union[Landscape, Mapping[str, Any]], *, temperature: Optional[float] = None,
                          lr: Optional[float] = None, batch_size: Optional[int] = None,
                          range: Optional[Sequence[Sequence[float]]] = None) -> LandscapeAnalysis:
        """Critical points, barriers and, given `temperature` or `lr`+`batch_size`, the Gibbs/Kramers theory."""
        return self._call(self._analyze_landscape_call(landscape, temperature, lr, batch_size, range))

    def analyze_markov_chain(self, transition_matrix: Sequence[Sequence[float]], *,
                             initial: Optional[Sequence[float]] = None, steps: Optional[int] = None,
                             states: Optional[Sequence[str]] = None) -> MarkovChainAnalysis:
        """Stationary law, classes, period, KL/TV convergence, spectral gap and mean first passage times."""
        return self._call(self._analyze_markov_call(transition_matrix, initial, steps, states))

    def health(self) -> dict[str, Any]:
        """GET /healthz."""
        return self._call(self._health_call())


class Jobs:
    """`client.jobs`: listing (following the cursor) and lookup."""

    def __init__(self, client: Client):
        self._client = client

    def pages(self, status: Optional[str] = None, page_size: Optional[int] = None) -> Iterator[JobPage]:
        """Every page of GET /v1/jobs, newest first."""
        cursor: Optional[str] = None
        while True:
            page: JobPage = self._client._call(self._client._list_call(status, page_size, cursor))
            yield page
            if not page.next_cursor or not page.items:
                return
            cursor = page.next_cursor

    def list(self, status: Optional[str] = None, limit: Optional[int] = None,
             page_size: Optional[int] = None) -> Iterator[JobStatus]:
        """The caller's jobs, newest first, across pages; at most `limit` of them."""
        if limit is not None and limit <= 0:
            return
        size = page_size or (min(limit, 100) if limit is not None else None)
        count = 0
        for page in self.pages(status, size):
            for item in page.items:
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return

    def get(self, job_id: str) -> "Job":
        """A handle on an existing job."""
        return self._client.job(job_id)


class Job:
    """A submitted job: `status()`, `wait()`, `result()`, `cancel()`, `events()`."""

    def __init__(self, client: Client, status: JobStatus):
        self._client = client
        self.last_status = status

    @property
    def id(self) -> str:
        """The job id."""
        return self.last_status.id

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, status={self.last_status.status!r}, progress={self.last_status.progress:.2f})"

    def status(self) -> JobStatus:
        """Fetch the current status document."""
        self.last_status = self._client.status(self.id)
        return self.last_status

    def result(self) -> Result:
        """The typed result (ConflictError while the job is not finished)."""
        return self._client.result(self.id)

    def point_result(self, k: int) -> Result:
        """The full result of point k of this sweep (as soon as that point has finished)."""
        return self._client.point_result(self.id, k)

    def cancel(self) -> JobStatus:
        """Cancel the job."""
        self.last_status = self._client.cancel(self.id)
        return self.last_status

    def events(self) -> Iterator[JobEvent]:
        """Progress events, then the final status."""
        return self._client.events(self.id)

    def wait(self, timeout: Optional[float] = None, progress: bool = True, poll_interval: float = 0.5,
             raise_on_failure: bool = True) -> JobStatus:
        """Block until the job finishes; a stderr progress bar fed by SSE (polling when the stream fails).
        Raises TimeoutError after `timeout` seconds and JobFailedError when the job failed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        bar = ProgressBar(f"job {self.id[:12]}") if progress else None
        final: Optional[JobStatus] = None
        try:
            if not self.last_status.finished:
                final = self._wait_events(deadline, bar)
            if final is None:
                final = self._wait_polling(deadline, bar, poll_interval)
        finally:
            if bar is not None:
                bar.close(final.status if final else None)
        self.last_status = final
        if final.status == "failed" and raise_on_failure:
            raise JobFailedError(final)
        return final

    def _wait_events(self, deadline: Optional[float], bar: Optional[ProgressBar]) -> Optional[JobStatus]:
        read = EVENT_READ_TIMEOUT if deadline is None else max(0.01, min(EVENT_READ_TIMEOUT, deadline - time.monotonic()))
        try:
            for event in self._client.events(self.id, read_timeout=read):
                if bar is not None:
                    bar.update(event.progress, event.status)
                if isinstance(event, JobStatus) and event.finished:
                    return event
        except (SgdlabError, httpx.HTTPError, ValueError):
            return None  # the stream is a convenience; polling is the fallback
        return None

    def _wait_polling(self, deadline: Optional[float], bar: Optional[ProgressBar], interval: float) -> JobStatus:
        while True:
            status = self.status()
            if bar is not None:
                bar.update(status.progress, status.status)
            if status.finished:
                return status
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"job {self.id} not finished after the wait timeout (status {status.status})")
            pause = interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic()))
            retry.sleep(pause)
            interval = min(interval * 1.5, 5.0)
