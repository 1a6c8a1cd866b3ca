"""docs/API.md, the repository's full contract, against /openapi.json, both ways.

From the page: every `METHOD /path` (table rows, headings and prose), every status code in an endpoint table row,
every query parameter (`?name=`), and every field name in the code blocks and inline JSON snippets must exist in
/openapi.json: paths and statuses per operation, query parameters on their operation, fields in the schemas
the section is about. From /openapi.json: every operation must have a row in an endpoint table of the page, and
every status code it declares must be named in its rows or in the rows of "Status codes of every endpoint".

The page grows by sections; the parser needs only these shapes. What it leaves out, on purpose:
- sections with a line "Status: planned" (a contract addition not built yet) are skipped, and fail once every
  name in them exists, so that the line goes;
- pages for people (/docs, /redoc, /docs-assets/, /dashboard, /) are not operations and not in /openapi.json;
- field names only in prose (outside code and JSON snippets) are not checked: prose names values too;
- keys a user chooses (the data columns `x`, `y` of the finite-sum example) are not fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest

from sgdlab.api.app import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "API.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
OPERATION = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (/[^\s,?|`)]*)")
STATUS = re.compile(r"\b([1-5]\d\d)\b")
PLANNED = "Status: planned"
#: sections whose code blocks describe these schemas (by heading words); any other section: every schema
SECTION_SCHEMAS = {
    "job status document": ["JobStatus"],
    "job request": ["JobRequest"],
    "result document": ["JobResult", "JobRequest"],
    "markov chains": ["MarkovRequest", "MarkovResponse"],
    "density evolution": ["JobResult", "JobRequest"],
    "landscape analysis": ["AnalyzeRequest", "AnalyzeResponse"],
    "the catalog": ["Catalog"],
}
#: a group row of "Status codes of every endpoint": `every request under /v1/`, `every POST under /v1/`
GROUP = re.compile(r"^every (request|GET|POST|PUT|PATCH|DELETE) under (/\S*)$")
#: keys of examples that a user chooses, not field names of the API
USER_KEYS = {"x", "y"}


@dataclass
class Section:
    """One heading's text (up to the next heading of any level)."""

    heading: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def planned(self) -> bool:
        return PLANNED in self.text


def sections(text: str) -> list[Section]:
    """The page cut at its headings."""
    out = [Section("")]
    for line in text.splitlines():
        if line.startswith("#"):
            out.append(Section(line.lstrip("#").strip()))
        out[-1].lines.append(line)
    return out


def table_rows(text: str) -> list[list[str]]:
    """Cells of every table row (header and separator rows included; callers filter)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and line.rstrip().endswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
            rows.append([c.strip() for c in cells])
    return rows


def snippets(text: str) -> list[str]:
    """Code blocks (4-space indented lines) without their `#` comments, and inline JSON-like code spans."""
    code = [re.sub(r"\s#(\s.*)?$", "", line) for line in text.splitlines() if line.startswith("    ")]
    prose = "\n".join(line for line in text.splitlines() if not line.startswith("    "))
    inline = [span for span in re.findall(r"`([^`]+)`", prose, flags=re.S)
              if span.lstrip().startswith("{") or re.search(r'"\w+"\s*:', span)]
    return ["\n".join(code)] + inline


def field_names(snippet: str) -> set[str]:
    """Quoted identifiers used as keys: not a value after ':' and not a list element after '['."""
    names = set()
    for m in re.finditer(r'"([A-Za-z_][A-Za-z0-9_]*)"', snippet):
        before = snippet[:m.start()].rstrip()
        if before.endswith((":", "[")):
            continue
        names.add(m.group(1))
    return names


def template_regex(path: str) -> re.Pattern:
    """An OpenAPI path template as a regex; `{x}` matches one path segment or a segment's part."""
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


@dataclass
class Contract:
    """What the page names."""

    operations: dict[tuple[str, str], set[int]]        # (method, openapi path) -> statuses named in table rows
    mentioned: set[tuple[str, str]]                    # operations named anywhere
    groups: list[tuple[str, str, set[int]]]            # (method or 'request', path prefix, statuses)
    query: dict[tuple[str, str], set[str]]
    fields: list[tuple[str, list[str], set[str]]]      # (heading, schema roots, names)
    planned: list[Section]


@pytest.fixture(scope="module")
def openapi() -> dict:
    return create_app().openapi()


def resolve(openapi: dict, method: str, doc_path: str) -> tuple[str, str] | None:
    """The OpenAPI operation a `METHOD /path` of the page means (the most literal template that matches)."""
    path = doc_path.rstrip(".")
    candidates = [p for p, ops in openapi["paths"].items() if method.lower() in ops and template_regex(p).match(path)]
    if not candidates:
        return None
    return method, max(candidates, key=lambda p: len(re.sub(r"\{[^}]+\}", "", p)))


def read_contract(openapi: dict) -> Contract:
    text = DOC.read_text()
    c = Contract({}, set(), [], {}, [], [])
    for sec in sections(text):
        if sec.planned:
            c.planned.append(sec)
            continue
        for method, path in OPERATION.findall(sec.text):
            op = resolve(openapi, method, path)
            assert op is not None, f"docs/API.md names {method} {path}, which /openapi.json does not have"
            c.mentioned.add(op)
        for row in table_rows(sec.text):
            first = row[0].replace("\\", "")
            found = OPERATION.match(first)
            group = GROUP.match(first)
            if found:
                op = resolve(openapi, *found.groups())
                c.operations.setdefault(op, set()).update(int(s) for s in STATUS.findall(row[-1]))
                c.query.setdefault(op, set()).update(re.findall(r"[?&](\w+)=", " ".join(row)))
            elif group:
                c.groups.append((group.group(1), group.group(2), {int(s) for s in STATUS.findall(row[-1])}))
        heading = sec.heading.lower()
        roots = next((r for key, r in SECTION_SCHEMAS.items() if key in heading), list(
            openapi["components"]["schemas"]))
        names = set().union(*(field_names(s) for s in snippets(sec.text))) - USER_KEYS
        if names:
            c.fields.append((sec.heading, roots, names))
    return c


def schema_properties(openapi: dict, roots: list[str]) -> set[str]:
    """Every property name reachable from the given component schemas."""
    schemas, seen, names = openapi["components"]["schemas"], set(), set()
    stack: list = [schemas[r] for r in roots]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    seen.add(name)
                    stack.append(schemas[name])
            names.update(node.get("properties", {}))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


def group_applies(group: tuple[str, str, set[int]], op: tuple[str, str]) -> bool:
    method, prefix, _ = group
    return (method == "request" or method == op[0]) and op[1].startswith(prefix)


def test_the_page_parses_into_a_contract(openapi):
    """The parser sees what the page says (a guard against a test that silently checks nothing)."""
    c = read_contract(openapi)
    assert ("POST", "/v1/jobs") in c.operations and 429 in c.operations[("POST", "/v1/jobs")]
    assert ("GET", "/v1/jobs/{job_id}/plots/{name}.{fmt}") in c.operations
    assert c.query[("GET", "/v1/jobs")] >= {"status", "limit", "cursor"}
    assert any(g[:2] == ("request", "/v1/") and 401 in g[2] for g in c.groups)
    names = set().union(*(n for _, _, n in c.fields))
    assert {"hessian_eigenvalues", "kramers_steps", "time_average", "mean_first_passage", "created_at"} <= names
    assert "simulation" not in names and "x1" not in names        # values are not fields
    assert all("issue" in s.text for s in c.planned)                  # a planned section names its issue


def test_every_operation_the_page_names_exists_with_its_statuses_and_query_parameters(openapi):
    c = read_contract(openapi)
    for (method, path), statuses in c.operations.items():
        declared = {int(s) for s in openapi["paths"][path][method.lower()]["responses"]}
        assert statuses <= declared, f"{method} {path}: docs/API.md names {statuses - declared}, not in /openapi.json"
        params = {p["name"] for p in openapi["paths"][path][method.lower()].get("parameters", [])}
        assert c.query.get((method, path), set()) <= params, (method, path, params)
    for group in c.groups:
        ops = [(m.upper(), p) for p, item in openapi["paths"].items() for m in item if group_applies(group, (m.upper(), p))]
        assert ops, group
        for status in group[2]:
            assert any(str(status) in openapi["paths"][p][m.lower()]["responses"] for m, p in ops), (group, status)


def test_every_operation_and_status_of_openapi_is_on_the_page(openapi):
    c = read_contract(openapi)
    for path, item in openapi["paths"].items():
        for method, op in item.items():
            key = (method.upper(), path)
            assert key in c.operations, f"{method.upper()} {path} has no row in an endpoint table of docs/API.md"
            named = set(c.operations[key]).union(*(g[2] for g in c.groups if group_applies(g, key)))
            missing = {int(s) for s in op["responses"]} - named
            assert not missing, f"{method.upper()} {path}: statuses {sorted(missing)} are not named in docs/API.md"


def test_every_field_the_page_names_is_in_the_schemas_of_its_section(openapi):
    c = read_contract(openapi)
    for heading, roots, names in c.fields:
        missing = names - schema_properties(openapi, roots)
        assert not missing, f"docs/API.md section '{heading}' names {sorted(missing)}, not in {roots} of /openapi.json"


def test_a_planned_section_is_not_yet_all_there(openapi):
    """Once every name of a planned section exists, the 'Status: planned' line must go (and the checks apply)."""
    everything = schema_properties(openapi, list(openapi["components"]["schemas"]))
    for sec in read_contract(openapi).planned:
        prose_names = set(re.findall(r"`([a-z]+(?:_[a-z]+)+)`", sec.text))      # `transition_probability`
        names = set().union(prose_names, *(field_names(s) for s in snippets(sec.text)))
        paths = [resolve(openapi, m, p) for m, p in OPERATION.findall(sec.text)]
        assert names - everything or None in paths, f"section '{sec.heading}' is all in /openapi.json: drop '{PLANNED}'"


def _validate(openapi: dict, schema: str, document: dict) -> None:
    root = {"$ref": f"#/components/schemas/{schema}", "components": openapi["components"]}
    jsonschema.Draft202012Validator(root).validate(document)


def test_real_result_documents_match_the_documented_schema(openapi):
    """The schema the page is checked against describes what the service really returns."""
    from sgdlab.core.simulation.hooks import NoHooks
    from sgdlab.core.simulation.run import simulate
    from sgdlab.jobs.work import make_work
    from sgdlab.spec import JobRequest

    spec = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}},
            "dynamics": {"lr": 0.05, "batch_size": 1}, "particles": 400, "steps": 60, "seed": 1,
            "observe": {"histogram": {"bins": 20, "snapshots": [30], "time_average": {"burn_in": 10, "every": 5}},
                        "exit_times": {"from": 1, "to": 0}, "arrival": {"bins": 4}, "loss_trace": {"every": 20},
                        "trajectories": {"count": 2, "every": 20}}}
    result = simulate(spec)
    _validate(openapi, "JobResult", result)
    with pytest.raises(jsonschema.ValidationError):   # and it is not vacuous
        _validate(openapi, "JobResult", {**result, "exit_times": {**result["exit_times"], "survival": None}})
    density = make_work(JobRequest.model_validate(
        {"kind": "density_evolution", "landscape": {"builtin": "double_well"}, "dynamics": {"lr": 0.05},
         "steps": 40, "grid": {"points": 80}, "observe": {"histogram": {"snapshots": [20]}}}))
    records = [fn(*args, NoHooks()) for fn, args in density.tasks]
    _validate(openapi, "JobResult", density.finish(records, 1.0, "x"))


def test_the_clients_typed_documents_name_only_documented_fields(openapi):
    """sgdlab_client.models mirrors the response documents for users; every field it reads is in the schemas."""
    import inspect

    from sgdlab_client import models

    documented = schema_properties(openapi, list(openapi["components"]["schemas"]))
    read = {(cls.__name__, f.alias or name) for cls in vars(models).values()
            if inspect.isclass(cls) and issubclass(cls, models.Document) for name, f in cls.model_fields.items()}
    assert len(read) > 50
    assert not {(c, n) for c, n in read if n not in documented}
