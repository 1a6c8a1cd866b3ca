"""schemathesis against the live OpenAPI of a real server: no 5xx and no response that breaks the schema.

The server runs with small limits so that the jobs the fuzzer manages to queue stay cheap. Each operation
is driven by its Hypothesis strategy with a bounded number of examples (schemathesis' own pytest plugin
does not load under this pytest, so the loop is explicit).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from server_process import ServerProcess

SMALL_LIMITS = {"SGDLAB_LIMITS__MAX_PARTICLE_STEPS": "200000", "SGDLAB_LIMITS__MAX_PARTICLES": "20000",
                "SGDLAB_LIMITS__MAX_STEPS": "2000", "SGDLAB_LIMITS__JOB_WALL_SECONDS": "20",
                "SGDLAB_LIMITS__MAX_GRID_POINTS_1D": "300", "SGDLAB_LIMITS__MAX_GRID_POINTS_2D": "40",
                "SGDLAB_LIMITS__MAX_MARKOV_STATES": "50", "SGDLAB_LIMITS__MAX_MARKOV_STEPS": "200",
                "SGDLAB_LIMITS__MAX_BINS": "200", "SGDLAB_LIMITS__MAX_TRACE_POINTS": "2000"}
EXAMPLES = 30
# A schema-valid request may still be refused for its meaning (an unknown catalog name, a formula that does not
# parse, a bound set by the limits): those are documented 422s, so "positive data acceptance" is not checked.
SEMANTIC = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    server = ServerProcess(tmp_path_factory.mktemp("fuzz"), env=SMALL_LIMITS).start()
    yield server.url
    server.kill("term")


def operations(url: str):
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    return [r.ok() for r in schema.get_all_operations()]


def test_every_operation_conforms_and_never_5xx(fuzz_server):
    ops = operations(fuzz_server)
    assert len(ops) >= 12
    failures, calls = [], []
    for op in ops:
        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        def check(case):
            response = case.call_and_validate(base_url=fuzz_server, timeout=60, excluded_checks=SEMANTIC)
            calls.append(response.status_code)
            assert response.status_code < 500

        try:
            check()
        except Exception as exc:  # collect all operations' failures, then report them together
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= 5 * len(ops) and any(200 <= c < 300 for c in calls) and any(c == 422 for c in calls)
