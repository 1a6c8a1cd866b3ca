"""One set of table names: the client's `to_pandas(name)` has the service's table names, columns and rows."""

from __future__ import annotations

import math

import pytest

import sgdlab_client as sc
from sgdlab_client import tables as client_tables
from sgdlab import tables as server_tables
from sgdlab.core.simulation.hooks import NoHooks
from sgdlab.spec import JobRequest
from sgdlab.theory.density_job import finish_density, plan_density, run_density

pd = pytest.importorskip("pandas")


def density_result(dim: int) -> dict:
    """A real density_evolution result document (1-D or 2-D, a coarse grid)."""
    landscape = {"builtin": "double_well"} if dim == 1 else \
        {"expression": "(w1**2 - 1)**2 + 0.5*w2**2", "variables": ["w1", "w2"]}
    spec = JobRequest.model_validate({"kind": "density_evolution", "landscape": landscape,
                                      "dynamics": {"lr": 0.1, "batch_size": 1}, "init": {"minimum": 0},
                                      "steps": 20, "grid": {"points": 60 if dim == 1 else 25},
                                      "observe": {"histogram": {"snapshots": [5]}}})
    plan = plan_density(spec)
    return finish_density(plan, [run_density(plan, NoHooks())], 0.1, "job-density")


def test_client_tables_are_the_services():
    assert tuple(client_tables.BUILDERS) == server_tables.TABLE_NAMES


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return a == b


@pytest.mark.parametrize("which", ["result_1d", "result_2d", "result_zero_exits", "density-1d", "density-2d"])
def test_client_rows_equal_the_services_rows(which, request):
    doc = density_result(int(which[-2])) if which.startswith("density") else request.getfixturevalue(which)
    result = sc.parse_result(doc)
    compared = 0
    for name in server_tables.TABLE_NAMES:
        try:
            expected = server_tables.build_table(name, doc)
        except server_tables.TableUnavailable:
            continue
        frame = result.to_pandas(name)
        dim = 2 if doc["landscape"]["dim"] == 2 else 1
        assert list(frame.columns) == server_tables.table_columns(name, dim), name   # the one definition
        got = client_tables.table_rows(result, name)
        assert len(got) == len(expected), name
        for g, e in zip(got, expected):
            assert g.keys() == e.keys(), name
            bad = [k for k in e if not same(g[k], e[k])]
            assert not bad, (name, bad, g, e)
        compared += 1
    assert compared >= (2 if doc.get("kind") == "density_evolution" else 3)
    for name in set(server_tables.TABLE_NAMES) - set(tables_seen(doc)):
        with pytest.raises(ValueError, match="no data"):
            result.to_pandas(name)


def tables_seen(doc: dict) -> list[str]:
    """The tables the service builds for `doc`."""
    seen = []
    for name in server_tables.TABLE_NAMES:
        try:
            server_tables.build_table(name, doc)
            seen.append(name)
        except server_tables.TableUnavailable:
            pass
    return seen


def test_basins_table_calls_the_theory_gibbs_fraction(result_1d):
    frame = sc.parse_result(result_1d).to_pandas("basins")
    assert "gibbs_fraction" in frame.columns and "fraction_theory" not in frame.columns
