"""A table of malformed requests: each gets the right 4xx problem document naming the field; none gets a 5xx."""

import json

import pytest

from .conftest import SMALL_JOB, make_client

J = SMALL_JOB
CHAIN = [[0.1, 0.4, 0.5], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]


def job(**patch):
    return {**J, **patch}


def dyn(**patch):
    return job(dynamics={**J["dynamics"], **patch})


CASES = [
    # (name, method, path, body (dict, or raw bytes/str), headers, status, field that must be named)
    ("particles not an int", "post", "/v1/jobs", job(particles="many"), None, 422, "particles"),
    ("negative particles", "post", "/v1/jobs", job(particles=-5), None, 422, "particles"),
    ("huge particles", "post", "/v1/jobs", job(particles=10**12), None, 422, "particles"),
    ("huge steps", "post", "/v1/jobs", job(steps=10**9), None, 422, "steps"),
    ("particles x steps", "post", "/v1/jobs", job(particles=9_000_000, steps=900_000), None, 422, "steps"),
    ("negative steps", "post", "/v1/jobs", job(steps=-1), None, 422, "steps"),
    ("lr a string", "post", "/v1/jobs", dyn(lr="fast"), None, 422, "dynamics.lr"),
    ("lr zero", "post", "/v1/jobs", dyn(lr=0), None, 422, "dynamics.lr"),
    ("lr negative", "post", "/v1/jobs", dyn(lr=-0.1), None, 422, "dynamics.lr"),
    ("NaN lr", "post", "/v1/jobs", b'{"landscape": {"builtin": "double_well"}, "dynamics": {"lr": NaN}}', None, 422,
     "dynamics.lr"),
    ("Infinity lr", "post", "/v1/jobs", b'{"landscape": {"builtin": "double_well"}, "dynamics": {"lr": Infinity}}',
     None, 422, "dynamics.lr"),
    ("batch size zero", "post", "/v1/jobs", dyn(batch_size=0), None, 422, "dynamics.batch_size"),
    ("unknown method", "post", "/v1/jobs", dyn(method="adam"), None, 422, "dynamics.method"),
    ("unknown schedule", "post", "/v1/jobs", dyn(lr={"schedule": "sawtooth"}), None, 422, "dynamics.lr"),
    ("schedule missing params", "post", "/v1/jobs", dyn(lr={"schedule": "step", "lr": 0.1}), None, 422,
     "dynamics.lr"),
    ("minibatch needs finite sum", "post", "/v1/jobs", dyn(method="minibatch_sgd"), None, 422, "dynamics.method"),
    ("unknown builtin", "post", "/v1/jobs", job(landscape={"builtin": "volcano"}), None, 422, "landscape.builtin"),
    ("bad builtin param", "post", "/v1/jobs", job(landscape={"builtin": "double_well", "params": {"tilt": "x"}}),
     None, 422, "landscape.params.tilt"),
    ("two landscapes", "post", "/v1/jobs", job(landscape={"builtin": "double_well", "expression": "w**2"}), None, 422,
     "landscape"),
    ("no landscape", "post", "/v1/jobs", {"particles": 10}, None, 422, "landscape"),
    ("import in formula", "post", "/v1/jobs", job(landscape={"expression": "__import__('os').system('x')"}), None,
     422, "landscape.expression"),
    ("attribute in formula", "post", "/v1/jobs", job(landscape={"expression": "w.real"}), None, 422,
     "landscape.expression"),
    ("lambda in formula", "post", "/v1/jobs", job(landscape={"expression": "(lambda: 1)()"}), None, 422,
     "landscape.expression"),
    ("huge power", "post", "/v1/jobs", job(landscape={"expression": "9**9**9"}), None, 422, "landscape.expression"),
    ("deep nesting", "post", "/v1/jobs", job(landscape={"expression": "(" * 5000 + "w" + ")" * 5000}), None, 422,
     "landscape.expression"),
    ("undeclared variable", "post", "/v1/jobs", job(landscape={"expression": "w**2 + z"}), None, 422,
     "landscape.expression"),
    ("function as variable", "post", "/v1/jobs", job(landscape={"expression": "exp**2", "variables": ["exp"]}), None,
     422, "landscape.variables"),
    ("ragged data", "post", "/v1/jobs", job(landscape={"finite_sum": {"per_sample": "(w-x)**2",
                                                                      "data": {"x": [1, 2], "y": [1]}}}), None, 422,
     "landscape.finite_sum.data"),
    ("init wrong dimension", "post", "/v1/jobs", job(init={"point": [0, 0]}), None, 422, "init.point"),
    ("init two kinds", "post", "/v1/jobs", job(init={"point": [0], "minimum": 0}), None, 422, "init"),
    ("exit target out of range", "post", "/v1/jobs", job(observe={"exit_times": {"from": 0, "to": 9}}), None, 422,
     "observe.exit_times.to"),
    ("too many bins", "post", "/v1/jobs", job(observe={"histogram": {"bins": 10**6}}), None, 422,
     "observe.histogram.bins"),
    ("snapshot past the end", "post", "/v1/jobs", job(observe={"histogram": {"snapshots": [10**6]}}), None, 422,
     "observe.histogram.snapshots[0]"),
    ("unknown field", "post", "/v1/jobs", job(colour="red"), None, 422, "colour"),
    ("unknown kind", "post", "/v1/jobs", job(kind="magic"), None, 422, "kind"),
    ("grid on simulation", "post", "/v1/jobs", job(grid={"points": 100}), None, 422, "grid"),
    ("density evolution in 3-D", "post", "/v1/jobs",
     job(kind="density_evolution", landscape={"builtin": "quadratic", "params": {"dim": 3}}), None, 422, "landscape"),
    ("not JSON", "post", "/v1/jobs", b"{landscape: ", None, 422, "body"),
    ("JSON array body", "post", "/v1/jobs", b"[1, 2]", None, 422, "body"),
    ("wrong content type", "post", "/v1/jobs", "landscape=double_well", {"content-type": "text/plain"}, 415,
     "Content-Type"),
    ("form content type", "post", "/v1/jobs", "a=b", {"content-type": "application/x-www-form-urlencoded"}, 415,
     "Content-Type"),
    ("oversized body", "post", "/v1/jobs", b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}', None, 413, None),
    ("chain rows do not sum to 1", "post", "/v1/markov-chains/analyze",
     {"transition_matrix": [[0.5, 0.6], [0.5, 0.5]]}, None, 422, "transition_matrix[0]"),
    ("chain not square", "post", "/v1/markov-chains/analyze", {"transition_matrix": [[1.0], [0.5, 0.5]]}, None, 422,
     "transition_matrix"),
    ("chain negative entry", "post", "/v1/markov-chains/analyze",
     {"transition_matrix": [[1.5, -0.5], [0.5, 0.5]]}, None, 422, "transition_matrix[0][1]"),
    ("chain initial wrong length", "post", "/v1/markov-chains/analyze",
     {"transition_matrix": CHAIN, "initial": [1.0]}, None, 422, "initial"),
    ("chain evolution too long", "post", "/v1/markov-chains/analyze",
     {"transition_matrix": [[1.0 / 300] * 300] * 300, "steps": 9000}, None, 422, "steps"),
    ("density kernel too large", "post", "/v1/jobs",
     job(kind="density_evolution", landscape={"builtin": "muller_brown"}, dynamics={"lr": 0.5},
         grid={"points": 300}), None, 422, "grid.points"),
    ("huge schedule period", "post", "/v1/jobs", dyn(lr={"schedule": "cyclic", "lr_min": 0.01, "lr_max": 0.1,
                                                          "period": 10**400}), None, 422, "dynamics.lr.period"),
    ("mixture with more components than rows", "post", "/v1/jobs",
     job(landscape={"finite_sum": {"per_sample": "(w - y)**2", "data": {"generator": "gaussian_mixture", "n": 10,
                                                                        "components": 10**12}}}),
     None, 422, "landscape.finite_sum.data.components"),
    ("minibatch bigger than the data", "post", "/v1/jobs",
     job(landscape={"finite_sum": {"per_sample": "(w - x)**2", "data": {"x": [1.0, 2.0]}}},
         dynamics={"method": "minibatch_sgd", "batch_size": 10**9}), None, 422, "dynamics.batch_size"),
    ("histogram range too wide", "post", "/v1/jobs", job(observe={"histogram": {"range": [[-1e308, 1e308]]}}), None,
     422, "observe.histogram.range"),
    ("too many snapshot bins", "post", "/v1/jobs",
     job(landscape={"builtin": "muller_brown"}, observe={"histogram": {"bins": [500, 500],
                                                                        "snapshots": list(range(0, 200, 5))}}),
     None, 422,
     "observe.histogram"),
    ("too many trajectory values", "post", "/v1/jobs",
     job(steps=100_000, particles=100, observe={"trajectories": {"count": 100, "every": 1}}), None, 422,
     "observe.trajectories"),
    ("density init off the grid", "post", "/v1/jobs", job(kind="density_evolution", init={"point": [50.0]}), None,
     422, "init.point"),
    ("density init unknown minimum", "post", "/v1/jobs", job(kind="density_evolution", init={"minimum": 7}), None,
     422, "init.minimum"),
    ("density lr reaching zero", "post", "/v1/jobs",
     job(kind="density_evolution", dynamics={"lr": {"schedule": "cyclic", "lr_min": 0, "lr_max": 0.1, "period": 10}}),
     None, 422, "dynamics.lr"),
    ("analyze with unknown builtin", "post", "/v1/landscapes/analyze", {"landscape": {"builtin": "x"}}, None, 422,
     "landscape.builtin"),
    ("analyze batch without lr", "post", "/v1/landscapes/analyze",
     {"landscape": {"builtin": "double_well"}, "batch_size": 4}, None, 422, "lr"),
    ("committor without temperature", "post", "/v1/landscapes/analyze",
     {"landscape": {"builtin": "double_well"}, "committor": {"from": 0, "to": 1}}, None, 422, "committor"),
    ("committor target out of range", "post", "/v1/landscapes/analyze",
     {"landscape": {"builtin": "double_well"}, "temperature": 0.1, "committor": {"from": 0, "to": 5}}, None, 422,
     "committor.to"),
    ("unknown job", "get", "/v1/jobs/does-not-exist", None, None, 404, None),
    ("unknown job result", "get", "/v1/jobs/does-not-exist/result", None, None, 404, None),
    ("bad status filter", "get", "/v1/jobs?status=done", None, None, 422, "status"),
    ("limit too large", "get", "/v1/jobs?limit=100000", None, None, 422, "limit"),
    ("unknown plot format", "get", "/v1/jobs/nope/plots/histogram.jpg", None, None, 404, None),
    ("unknown route", "get", "/v1/nothing-here", None, None, 404, None),
    ("wrong method", "put", "/v1/jobs", {}, None, 405, None),
    # issue 14: inputs that passed validation and still got a 500, or got a bare 400
    ("lone surrogate in a formula", "post", "/v1/jobs",
     b'{"landscape": {"expression": "w**2 + \\ud800"}}', None, 422, "landscape.expression"),
    ("lone low surrogate in a builtin name", "post", "/v1/jobs", b'{"landscape": {"builtin": "\\udc00"}}', None, 422,
     "landscape.builtin"),
    ("lone surrogate in a key", "post", "/v1/jobs",
     b'{"landscape": {"builtin": "double_well", "params": {"\\ud800": 1}}}', None, 422, "landscape.params"),
    ("lone surrogate in a variable name", "post", "/v1/jobs",
     b'{"landscape": {"expression": "a**2", "variables": ["\\udbff"]}}', None, 422, "landscape.variables[0]"),
    ("lone surrogate in finite-sum data", "post", "/v1/jobs",
     b'{"landscape": {"finite_sum": {"per_sample": "(w-x)**2", "data": {"x": ["\\ud800"]}}}}', None, 422,
     "landscape.finite_sum.data.x[0]"),
    ("lone surrogate in a chain's state names", "post", "/v1/markov-chains/analyze",
     b'{"transition_matrix": [[1.0]], "states": ["\\ud800"]}', None, 422, "states[0]"),
    ("lone surrogate in an analysis", "post", "/v1/landscapes/analyze",
     b'{"landscape": {"expression": "\\ud800"}}', None, 422, "landscape.expression"),
    ("surrogate pair (an emoji) in a formula", "post", "/v1/jobs",
     b'{"landscape": {"expression": "w**2 + \\ud83d\\ude00"}}', None, 422, "landscape.expression"),
    ("escaped backslash before u-d800 is plain text", "post", "/v1/jobs",
     b'{"landscape": {"expression": "w**2 + \\\\ud800"}}', None, 422, "landscape.expression"),
    ("cursor past SQLite's integers", "get", f"/v1/jobs?cursor={2**63}", None, None, 422, "cursor"),
    ("cursor of 40 digits", "get", "/v1/jobs?cursor=" + "9" * 40, None, None, 422, "cursor"),
    ("cursor a superscript digit", "get", "/v1/jobs?cursor=%C2%B2", None, None, 422, "cursor"),
    ("negative cursor", "get", "/v1/jobs?cursor=-1", None, None, 422, "cursor"),
    ("300-character static file name", "get", "/dashboard/static/" + "a" * 300 + ".js", None, None, 404, None),
    ("300-character plot name", "get", "/v1/jobs/nope/plots/" + "a" * 300 + ".svg", None, None, 404, None),
    ("300-character table name", "get", "/v1/jobs/nope/tables/" + "a" * 300, None, None, 404, None),
    ("300-character job id", "get", "/v1/jobs/" + "a" * 300, None, None, 404, None),
    ("table selector on a table without records", "get", "/v1/jobs/nope/tables/survival?which=final", None, None,
     422, "which"),
    ("table step negative", "get", "/v1/jobs/nope/tables/histogram?step=-1", None, None, 422, "step"),
    ("table step past SQLite's integers", "get", f"/v1/jobs/nope/tables/histogram?step={2**63}", None, None, 422,
     "step"),
    ("unknown table selector value", "get", "/v1/jobs/nope/tables/histogram?which=first", None, None, 422, "which"),
    ("steps a numeric string", "post", "/v1/jobs", job(steps="5"), None, 422, "steps"),
    ("steps a boolean", "post", "/v1/jobs", job(steps=True), None, 422, "steps"),
    ("particles a float", "post", "/v1/jobs", job(particles=2000.0), None, 422, "particles"),
    ("lr a numeric string", "post", "/v1/jobs", dyn(lr="0.1"), None, 422, "dynamics.lr"),
    ("lr a boolean", "post", "/v1/jobs", dyn(lr=True), None, 422, "dynamics.lr"),
    ("batch size a string", "post", "/v1/jobs", dyn(batch_size="2"), None, 422, "dynamics.batch_size"),
    ("basins flag a string", "post", "/v1/jobs", job(observe={"basins": "yes"}), None, 422, "observe.basins"),
    ("histogram range strings", "post", "/v1/jobs", job(observe={"histogram": {"range": [["-2", "2"]]}}), None, 422,
     "observe.histogram.range[0]"),
    ("seed a string", "post", "/v1/jobs", job(seed="42"), None, 422, "seed"),
    ("chain with strings", "post", "/v1/markov-chains/analyze", {"transition_matrix": [["0.5", 0.5], [0.5, 0.5]]},
     None, 422, "transition_matrix[0][0]"),
    ("chain with booleans", "post", "/v1/markov-chains/analyze", {"transition_matrix": [[True, False], [0, 1]]},
     None, 422, "transition_matrix[0][0]"),
    ("analyze temperature a string", "post", "/v1/landscapes/analyze",
     {"landscape": {"builtin": "double_well"}, "temperature": "0.1"}, None, 422, "temperature"),
    ("deeply nested JSON", "post", "/v1/jobs", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, None, 422, "body"),
    ("deeply nested JSON array", "post", "/v1/markov-chains/analyze", b"[" * 200_000 + b"]" * 200_000, None, 422,
     "body"),
    ("integer of 5000 digits", "post", "/v1/jobs", b'{"particles": 1' + b"0" * 5000 + b"}", None, 422, "body"),
    ("body not UTF-8", "post", "/v1/jobs", b'{"landscape": {"builtin": "\xff\xfe"}}', None, 422, "body"),
    ("over-long Idempotency-Key", "post", "/v1/jobs", J, {"Idempotency-Key": "k" * 300}, 422, "Idempotency-Key"),
    ("unknown HTTP method", "brew", "/v1/jobs", None, None, 405, None),
]


@pytest.mark.parametrize("name, method, path, body, headers, status, field", CASES, ids=[c[0] for c in CASES])
def test_malformed_request(client, name, method, path, body, headers, status, field):
    kw = {"headers": headers or {}}
    if isinstance(body, (bytes, str)):
        kw["content"] = body
        kw["headers"] = {"content-type": "application/json", **kw["headers"]}
    elif body is not None:
        kw["json"] = body
    r = client.request(method.upper(), path, **kw)
    assert r.status_code == status, (name, r.status_code, r.text[:500])
    assert r.status_code < 500
    if status >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")
        doc = r.json()
        assert doc["status"] == status and doc["title"] and "type" in doc and "detail" in doc
        assert "Traceback" not in r.text
        if field is not None:
            fields = [e["field"] for e in doc.get("errors", [])]
            assert any(f == field or f.startswith(field + ".") or f.startswith(field + "[") for f in fields), \
                (name, fields, doc["detail"])


def test_idempotency_key_reuse_with_other_body_is_422(client):
    a = client.post("/v1/jobs", json=J, headers={"Idempotency-Key": "table-1"})
    b = client.post("/v1/jobs", json=job(seed=1), headers={"Idempotency-Key": "table-1"})
    assert a.status_code == 202 and b.status_code == 422
    assert b.json()["errors"][0]["field"] == "Idempotency-Key"


def test_limit_problem_names_limit_and_value(client):
    doc = client.post("/v1/jobs", json=job(particles=10**8)).json()
    assert doc["limit"] == "max_particles" and doc["limit_value"] == 10_000_000
    assert "max_particles" in doc["detail"]


def test_oversized_markov_chain_names_limit(tmp_path):
    from sgdlab.limits import Limits
    with make_client(tmp_path, limits=Limits(max_markov_states=10)) as small:
        n = 11
        body = json.dumps({"transition_matrix": [[1.0 / n] * n] * n, "steps": 1})
        r = small.post("/v1/markov-chains/analyze", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422
        assert r.json()["limit"] == "max_markov_states" and r.json()["limit_value"] == 10
