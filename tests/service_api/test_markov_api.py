"""POST /v1/markov-chains/analyze at the edges of its limits: dense and sparse chains, body size, MFPT output."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sgdlab.limits import DEFAULT_LIMITS, Limits

from .conftest import make_client

ROUTE = "/v1/markov-chains/analyze"


def post_compact(client, body: dict):
    """POST `body` as compact JSON (the way a client library sends large matrices)."""
    return client.post(ROUTE, content=json.dumps(body, separators=(",", ":")),
                       headers={"content-type": "application/json"})


def test_largest_dense_chain_the_limits_allow_is_accepted_with_default_settings(client):
    n = DEFAULT_LIMITS.max_markov_dense_states
    rng = np.random.default_rng(0)
    P = rng.random((n, n))
    P /= P.sum(axis=1, keepdims=True)
    body = {"transition_matrix": P.tolist(), "steps": 0, "mean_first_passage": [0]}
    size = len(json.dumps(body, separators=(",", ":")))
    assert DEFAULT_LIMITS.max_body_bytes < size < DEFAULT_LIMITS.max_markov_body_bytes  # needs the route's limit
    r = post_compact(client, body)
    assert r.status_code == 200, r.text[:500]
    d = r.json()
    pi = np.array(d["stationary"])
    np.testing.assert_allclose(pi @ P, pi, rtol=1e-10, atol=0)
    col = np.array(d["mean_first_passage_columns"]["times"][0])
    np.testing.assert_allclose(col[0] * pi[0], 1.0, rtol=1e-12)  # Kac


def test_max_markov_states_is_reachable_in_the_sparse_format(client):
    n = DEFAULT_LIMITS.max_markov_states
    rng = np.random.default_rng(1)
    # a ring plus up to three distinct random jumps per state (an expander: ARPACK converges at once)
    rows, cols = [], []
    for i in range(n):
        targets = list(dict.fromkeys([(i + 1) % n, *map(int, rng.choice(n, 8))]))[:4]
        rows += [i] * len(targets)
        cols += targets
    values = np.concatenate([np.full(rows.count(i), 1.0 / rows.count(i)) for i in range(n)]).tolist()
    body = {"transition_matrix": {"sparse": {"n": n, "rows": rows, "cols": cols, "values": values}},
            "steps": 1, "initial": [1.0 / n] * n, "states": [f"s{i}" for i in range(n)],
            "mean_first_passage": ["s0"]}
    r = post_compact(client, body)
    assert r.status_code == 200, r.text[:500]
    d = r.json()
    assert d["irreducible"] and len(d["stationary"]) == n and d["states"][-1] == f"s{n - 1}"
    P = np.zeros((n, n))
    P[rows, cols] = values
    pi = np.array(d["stationary"])
    np.testing.assert_allclose(pi @ P, pi, rtol=1e-9, atol=0)
    assert d["mean_first_passage"] is None and d["mean_first_passage_columns"]["targets"] == [0]
    col = np.array(d["mean_first_passage_columns"]["times"][0])
    np.testing.assert_allclose(col[0] * pi[0], 1.0, rtol=1e-12)  # Kac
    mask = np.arange(n) != 0
    np.testing.assert_allclose(col[mask], 1.0 + P[mask][:, mask] @ col[mask], rtol=1e-10)  # first-step equations


def test_sparse_and_dense_formats_give_the_same_analysis(client):
    P = [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [1e-12, 0.0, 1 - 1e-12]]
    dense = client.post(ROUTE, json={"transition_matrix": P, "steps": 3, "initial": [1, 0, 0]}).json()
    rows, cols = np.nonzero(np.array(P))
    sparse = {"n": 3, "rows": rows.tolist(), "cols": cols.tolist(),
              "values": [P[i][j] for i, j in zip(rows, cols)]}
    d = client.post(ROUTE, json={"transition_matrix": {"sparse": sparse}, "steps": 3, "initial": [1, 0, 0]}).json()
    assert d == dense
    assert d["mean_first_passage"][0][1] == pytest.approx(2.0, rel=1e-14)  # the chain: exactly 2


@pytest.mark.parametrize("sparse, field", [
    ({"n": 2, "rows": [0, 0, 1], "cols": [0, 0, 1], "values": [0.5, 0.5, 1.0]}, "transition_matrix.sparse.values[1]"),
    ({"n": 2, "rows": [0, 2], "cols": [0, 1], "values": [1.0, 1.0]}, "transition_matrix.sparse.rows[1]"),
    ({"n": 2, "rows": [0, 1], "cols": [0], "values": [1.0, 1.0]}, "transition_matrix.sparse.cols"),
    ({"n": 2, "rows": [0, 1], "cols": [0, 1], "values": [1.0, 0.5]}, "transition_matrix[1]"),
    ({"n": 2, "rows": [0, 1], "cols": [0, 1], "values": [1.0, -1.0]}, "transition_matrix.sparse.values[1]"),
    ({"n": 3001, "rows": [], "cols": [], "values": []}, "transition_matrix.sparse.n"),
])
def test_bad_sparse_matrices_name_the_field(client, sparse, field):
    r = client.post(ROUTE, json={"transition_matrix": {"sparse": sparse}})
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


def test_dense_chain_above_the_dense_limit_is_told_to_use_the_sparse_format(tmp_path):
    with make_client(tmp_path, limits=Limits(max_markov_dense_states=3)) as small:
        r = small.post(ROUTE, json={"transition_matrix": [[0.25] * 4] * 4})
        assert r.status_code == 422 and "sparse" in r.json()["detail"]


def test_markov_route_body_limit_is_its_own_and_names_itself(tmp_path):
    with make_client(tmp_path, limits=Limits(max_markov_body_bytes=2000, max_body_bytes=500)) as small:
        r = small.post(ROUTE, json={"transition_matrix": [[0.5, 0.5], [0.5, 0.5]], "states": ["a" * 700, "b"]})
        assert r.status_code == 200  # over max_body_bytes, within the route's own limit
        r = small.post(ROUTE, json={"transition_matrix": [[0.5, 0.5], [0.5, 0.5]], "states": ["a" * 3000, "b"]})
        assert r.status_code == 413 and r.json()["limit"] == "max_markov_body_bytes"
        r = small.post("/v1/landscapes/analyze", json={"landscape": {"builtin": "double_well"}, "x": "a" * 700})
        assert r.status_code == 413 and r.json()["limit"] == "max_body_bytes"


def test_markov_tiny_off_diagonal_1e_300_is_answered_not_500(client):
    # 14.9: rows sum to 1 in double precision, so the chain is valid; the exact answer is finite
    r = client.post(ROUTE, json={"transition_matrix": [[1, 1e-300], [1e-300, 1]], "steps": 2})
    assert r.status_code == 200
    d = r.json()
    assert d["stationary"] == [0.5, 0.5]
    np.testing.assert_allclose(d["mean_first_passage"], [[2.0, 1e300], [1e300, 2.0]], rtol=1e-15)


def test_markov_mfpt_true_above_the_limit_is_a_422_naming_it(tmp_path):
    with make_client(tmp_path, limits=Limits(max_mfpt_values=3)) as small:
        r = small.post(ROUTE, json={"transition_matrix": [[0.5, 0.5], [0.5, 0.5]], "mean_first_passage": True})
        assert r.status_code == 422 and r.json()["limit"] == "max_mfpt_values"
        r = small.post(ROUTE, json={"transition_matrix": [[0.5, 0.5], [0.5, 0.5]]})
        assert r.status_code == 200 and r.json()["mean_first_passage"] is None
        assert "max_mfpt_values=3" in r.json()["mean_first_passage_note"]


def test_openapi_describes_the_new_markov_fields(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"mean_first_passage", "transition_matrix"} <= set(schemas["MarkovRequest"]["properties"])
    assert {"n", "rows", "cols", "values"} <= set(schemas["SparseMatrix"]["properties"])
    assert {"cyclic_classes", "mean_first_passage_columns", "mean_first_passage_note"} <= \
        set(schemas["MarkovResponse"]["properties"])
