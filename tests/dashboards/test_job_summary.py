"""The status document's `summary`: what a job list shows to tell runs apart, from the job's spec."""

from __future__ import annotations

from sgdlab.jobs.summary import MAX_LABEL, spec_summary


def test_builtin_with_a_constant_lr():
    spec = {"landscape": {"builtin": "double_well", "params": {}},
            "dynamics": {"method": "minibatch_sgd", "lr": 0.05, "batch_size": 4}, "particles": 2000, "steps": 500}
    assert spec_summary("simulation", spec) == {"landscape": "double_well", "method": "minibatch_sgd", "lr": 0.05,
                                                "batch_size": 4, "particles": 2000, "steps": 500}


def test_schedule_is_named_with_its_parameters_and_long_formulas_are_cut():
    formula = "w**4/4 - w**2/2 + " + " + ".join(f"0.001*sin({k}*w)" for k in range(1, 12))
    spec = {"landscape": {"expression": formula}, "particles": 10, "steps": 5,
            "dynamics": {"lr": {"schedule": "cosine", "lr_max": 0.1, "period": 100, "lr_min": None}}}
    out = spec_summary("simulation", spec)
    assert out["lr"] == "cosine(lr_max=0.1, period=100)"
    assert len(out["landscape"]) == MAX_LABEL and out["landscape"].endswith("…")
    assert out["landscape"].startswith("w**4/4 - w**2/2")


def test_finite_sum_density_and_sweep():
    finite = {"finite_sum": {"per_sample": "0.5*(x*w - y)**2", "data": {"x": [1], "y": [2]}}}
    assert spec_summary("simulation", {"landscape": finite})["landscape"] == "finite sum: 0.5*(x*w - y)**2"
    density = spec_summary("density_evolution", {"landscape": {"builtin": "double_well"}, "particles": 10000,
                                                 "steps": 300, "dynamics": {"lr": 0.1}})
    assert density["particles"] is None and density["steps"] == 300   # a grid, not particles
    sweep = spec_summary("sweep", {"base": {"landscape": {"builtin": "double_well"}, "steps": 9},
                                   "axes": [{"path": "dynamics.lr", "values": [0.1, 0.2]}]})
    assert sweep["landscape"] == "double_well" and sweep["axes"] == ["dynamics.lr"] and sweep["steps"] == 9
