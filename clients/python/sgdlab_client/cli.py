"""`sgdlab-client`: the command line over the Python client (argparse); JSON on stdout, readable errors on stderr."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, TextIO

from ._sync import Client
from .tables import table_rows
from .errors import APIError, ConnectionError, JobFailedError, Problem, SgdlabError, TimeoutError

EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_JOB_FAILED = 4


class InputError(Exception):
    """A local input (file, JSON) problem, reported without a stack trace."""


def read_json(path: str) -> Any:
    """JSON from a file, or from stdin when path is `-`."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


def emit(doc: Any, out: Optional[str] = None, stream: Optional[TextIO] = None) -> None:
    """Write a document as indented JSON to `out` (a path) or stdout."""
    data = doc.model_dump(mode="json", by_alias=True) if hasattr(doc, "model_dump") else doc
    text = json.dumps(data, indent=2)
    if out:
        Path(out).write_text(text + "\n")
        print(f"wrote {out}", file=sys.stderr)
    else:
        (stream or sys.stdout).write(text + "\n")


def field_error_lines(problem: Optional[Problem]) -> list[str]:
    """One line per distinct field error of a problem document, in the server's order."""
    lines: list[str] = []
    for err in problem.errors if problem is not None else []:
        line = f"  - {err.field or '(request)'}: {err.message}"
        if line not in lines:
            lines.append(line)
    return lines


def detail_adds_to_errors(problem: Problem) -> bool:
    """Whether the detail says more than the field errors (the service's detail joins them with '; ')."""
    rest = problem.detail or ""
    for err in problem.errors:
        rest = rest.replace(f"{err.field}: {err.message}", "")
    for err in problem.errors:
        rest = rest.replace(err.message, "")
    return bool(rest.strip(" ;.,\n"))


def describe_error(exc: BaseException) -> str:
    """A human-readable, multi-line account of an error: title, detail unless it only repeats the field errors,
    then every field error once."""
    if isinstance(exc, APIError):
        lines = [f"error: {exc.status} {exc.problem.title or 'request failed'}"]
        if exc.problem.detail and detail_adds_to_errors(exc.problem):
            lines.append(f"  {exc.problem.detail}")
        lines += field_error_lines(exc.problem)
        if getattr(exc, "retry_after", None) is not None:
            lines.append(f"  retry after {exc.retry_after:g} s")
        return "\n".join(lines)
    if isinstance(exc, JobFailedError):
        problem = exc.problem
        if problem is None or not problem.errors or detail_adds_to_errors(problem):
            return "\n".join([f"error: {exc}"] + field_error_lines(problem))
        return "\n".join([f"error: job {exc.job.id} failed: {problem.title or 'error'}"] + field_error_lines(problem))
    return f"error: {exc}"


def _submit(client: Client, args: argparse.Namespace) -> int:
    return _submit_doc(client, read_json(args.spec), args)


def _submit_doc(client: Client, doc: Any, args: argparse.Namespace) -> int:
    """Queue `doc`; with --wait, wait for it, write its result to --output and its points table to --csv."""
    job = client.submit(doc, idempotency_key=args.idempotency_key)
    if not args.wait:
        emit(job.last_status, args.output)
        return 0
    print(f"submitted job {job.id}", file=sys.stderr)
    status = job.wait(timeout=args.wait_timeout, progress=not args.no_progress)
    if status.status == "succeeded" and (args.output or getattr(args, "csv", None)):
        result = job.result()
        if args.output:
            emit(result.model_dump(mode="json", by_alias=True), args.output)
        if getattr(args, "csv", None):
            write_csv(table_rows(result, "points"), args.csv)
    emit(status)
    return 0 if status.status == "succeeded" else EXIT_JOB_FAILED


def write_csv(rows: list[dict], path: str) -> None:
    """Rows as CSV (columns in first-seen order, None as an empty field) to `path`."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    print(f"wrote {path}", file=sys.stderr)


def _sweep(client: Client, args: argparse.Namespace) -> int:
    doc = read_json(args.spec)
    if not isinstance(doc, dict) or "base" not in doc or "axes" not in doc:
        raise InputError(f"{args.spec}: expected a sweep: an object with 'base' (a job) and 'axes'")
    if "kind" not in doc:
        doc = {"kind": "sweep", **doc}
    return _submit_doc(client, doc, args)


def _wait(client: Client, args: argparse.Namespace) -> int:
    status = client.job(args.id).wait(timeout=args.wait_timeout, progress=not args.no_progress)
    emit(status)
    return 0 if status.status == "succeeded" else EXIT_JOB_FAILED


def _result(client: Client, args: argparse.Namespace) -> int:
    emit(client.result(args.id).model_dump(mode="json", by_alias=True), args.output)
    return 0


def _list(client: Client, args: argparse.Namespace) -> int:
    items = list(client.jobs.list(status=args.status, limit=args.limit))
    if args.json:
        emit([i.model_dump(mode="json", by_alias=True) for i in items])
        return 0
    for item in items:
        print(f"{item.id}  {item.kind:<17} {item.status:<9} {100 * item.progress:5.1f}%  {item.created_at or ''}")
    return 0


def _markov(client: Client, args: argparse.Namespace) -> int:
    doc = read_json(args.matrix)
    body = doc if isinstance(doc, dict) else {"transition_matrix": doc}
    if "transition_matrix" not in body:
        raise InputError(f"{args.matrix}: expected a matrix (list of rows) or an object with transition_matrix")
    emit(client.analyze_markov_chain(body["transition_matrix"], initial=body.get("initial"),
                                     steps=args.steps if args.steps is not None else body.get("steps"),
                                     states=body.get("states")))
    return 0


def _landscapes(client: Client, args: argparse.Namespace) -> int:
    catalog = client.landscapes()
    if args.json:
        emit(catalog)
        return 0
    for entry in catalog.landscapes:
        params = ", ".join(f"{p.name}={p.default}" for p in entry.params)
        print(f"{entry.name} (dim {entry.dim}) {params}\n    {entry.formula}")
    return 0


def _analyze(client: Client, args: argparse.Namespace) -> int:
    doc = read_json(args.landscape)
    landscape = doc.get("landscape", doc) if isinstance(doc, dict) else doc
    emit(client.analyze_landscape(landscape, temperature=args.temperature, lr=args.lr, batch_size=args.batch_size))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `sgdlab-client`."""
    p = argparse.ArgumentParser(prog="sgdlab-client", description="Submit and inspect sgdlab jobs.")
    p.add_argument("--url", help="service base URL (default $SGDLAB_URL or http://127.0.0.1:8000)")
    p.add_argument("--api-key", help="API key (default $SGDLAB_API_KEY)")
    p.add_argument("--timeout", type=float, default=None, help="per-request timeout in seconds")
    p.add_argument("--max-retries", type=int, default=None, help="retries on connection errors, 429 and 503")
    sub = p.add_subparsers(dest="command", required=True)

    for name, fn, helptext in (("submit", _submit, "queue a job from a JSON spec file (- for stdin)"),
                               ("sweep", _sweep, "queue a sweep (a base job and axes) from a JSON file (- for stdin)")):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("spec")
        s.add_argument("--wait", action="store_true", help="wait for the job, with a progress bar on stderr")
        s.add_argument("--wait-timeout", type=float, default=None, help="give up waiting after this many seconds")
        s.add_argument("--no-progress", action="store_true", help="no progress bar")
        s.add_argument("-o", "--output", help="with --wait: write the result here; else the status document")
        s.add_argument("--idempotency-key", help="reuse a key to make resubmission safe (default: a fresh uuid4)")
        if name == "sweep":
            s.add_argument("--csv", help="with --wait: write the points table (one row per point) here as CSV")
        s.set_defaults(run=fn)

    w = sub.add_parser("wait", help="wait for a job to finish")
    w.add_argument("id")
    w.add_argument("--wait-timeout", type=float, default=None)
    w.add_argument("--no-progress", action="store_true")
    w.set_defaults(run=_wait)

    for name, fn, helptext in (("status", lambda c, a: emit(c.status(a.id)) or 0, "a job's status document"),
                               ("cancel", lambda c, a: emit(c.cancel(a.id)) or 0, "cancel a queued or running job")):
        c = sub.add_parser(name, help=helptext)
        c.add_argument("id")
        c.set_defaults(run=fn)

    r = sub.add_parser("result", help="a finished job's result document")
    r.add_argument("id")
    r.add_argument("-o", "--output", help="write to this file instead of stdout")
    r.set_defaults(run=_result)

    ls = sub.add_parser("list", help="your jobs, newest first")
    ls.add_argument("--status", choices=["queued", "running", "succeeded", "failed", "cancelled"])
    ls.add_argument("--limit", type=int, default=None)
    ls.add_argument("--json", action="store_true", help="print the status documents as JSON")
    ls.set_defaults(run=_list)

    m = sub.add_parser("markov", help="analyse a finite Markov chain (matrix JSON or a full request)")
    m.add_argument("matrix")
    m.add_argument("--steps", type=int, default=None)
    m.set_defaults(run=_markov)

    la = sub.add_parser("landscapes", help="the built-in landscape catalog")
    la.add_argument("--json", action="store_true")
    la.set_defaults(run=_landscapes)

    a = sub.add_parser("analyze", help="critical points, barriers and theory of a landscape JSON")
    a.add_argument("landscape")
    a.add_argument("--temperature", type=float)
    a.add_argument("--lr", type=float)
    a.add_argument("--batch-size", type=int)
    a.set_defaults(run=_analyze)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point: run one command; return the exit status (0 ok, 1 API error, 2 input, 3 unreachable, 4 failed)."""
    args = build_parser().parse_args(argv)
    run: Callable[[Client, argparse.Namespace], int] = args.run
    try:
        with Client(args.url, args.api_key, timeout=args.timeout, max_retries=args.max_retries) as client:
            return run(client, args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ConnectionError, TimeoutError) as exc:
        print(describe_error(exc), file=sys.stderr)
        return EXIT_UNREACHABLE
    except JobFailedError as exc:
        print(describe_error(exc), file=sys.stderr)
        return EXIT_JOB_FAILED
    except SgdlabError as exc:
        print(describe_error(exc), file=sys.stderr)
        return EXIT_API_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
