"""The compiled (numba) backend: gradients generated per landscape agree with the NumPy path, the fused kernels
reproduce the stationary laws and escape statistics the NumPy backend does, and results do not depend on the
worker count or executor. Statistical tolerances are 4 standard errors of the sampling noise."""

import threading
import time

import numpy as np
import pytest

from sgdlab.core.dynamics.backend import choose_backend
from sgdlab.core.dynamics.compiled.gradient_code import gradient_code
from sgdlab.core.dynamics.compiled.kernel_cache import cache_dir, compiled_kernel, kernel_module
from sgdlab.core.dynamics.compiled.kernel_source import kernel_module_source
from sgdlab.core.errors import SpecError
from sgdlab.core.landscapes.build import build_landscape
from sgdlab.core.landscapes.catalog import CATALOG
from sgdlab.core.simulation.plan import plan_simulation
from sgdlab.core.simulation.run import simulate
from sgdlab.jobs.executors.local import LocalExecutor
from sgdlab.jobs.work import make_work
from sgdlab.spec import JobRequest, LandscapeSpec

pytest.importorskip("numba")


def _compiled_gradient(landscape, w):
    code = gradient_code(landscape)
    _, module = kernel_module(kernel_module_source(code))
    rows = code.rows if code.rows is not None else np.zeros((0, 0))
    out = np.empty_like(w)
    module.gradient_at(w, code.params, rows, out)
    return out


EVERY_FUNCTION = ("exp(0.3*x) + log(x) + sqrt(x) * sin(y) + cos(x*y) + tan(0.2*y) + tanh(x - y) + sinh(0.5*y) "
                  "+ cosh(0.4*x) + abs(y - 0.3) + (x - y)**3 / (1 + x**2) - 2**x + x**-1.5")


def test_formula_with_every_allowed_function_compiles_and_matches_numpy_gradient():
    land = build_landscape(LandscapeSpec.model_validate({"expression": EVERY_FUNCTION, "variables": ["x", "y"]}))
    rng = np.random.default_rng(0)
    w = np.column_stack([rng.uniform(0.2, 3.0, 500), rng.uniform(-2.0, 2.0, 500)])
    want = land.grad(w)
    got = _compiled_gradient(land, w)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    src = kernel_module_source(gradient_code(land))
    assert "x0" in src and "math.tan" in src and " y" not in src  # generated from the renamed tree


@pytest.mark.parametrize("name,params", [(n, {}) for n in CATALOG] + [
    ("quadratic", {"curvature": [1.0, 3.0, 0.5], "center": [0.5, -1.0, 2.0]}),
    ("double_well", {"height": 2.0, "width": 1.5, "tilt": 0.3}),
    ("rastrigin", {"dim": 3, "A": 4.0}), ("styblinski_tang", {"dim": 4, "scale": 0.5}),
    ("gaussian_wells", {"wells": [{"centre": [1, 0], "depth": 1, "width": 0.5},
                                  {"centre": [-1, 1], "depth": 2, "width": 0.8}], "confinement": 0.2})])
def test_every_catalog_landscape_has_a_compiled_gradient_equal_to_numpy(name, params):
    land = build_landscape(LandscapeSpec.model_validate({"builtin": name, "params": params}))
    rng = np.random.default_rng(1)
    lo = np.array([r[0] for r in land.default_range] * land.dim)[: land.dim]
    hi = np.array([r[1] for r in land.default_range] * land.dim)[: land.dim]
    w = lo + (hi - lo) * rng.random((400, land.dim))
    want = land.grad(w)
    np.testing.assert_allclose(_compiled_gradient(land, w), want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_finite_sum_gradient_is_the_mean_row_gradient():
    rng = np.random.default_rng(2)
    data = {"x": rng.normal(size=50).tolist(), "y": rng.normal(size=50).tolist()}
    land = build_landscape(LandscapeSpec.model_validate(
        {"finite_sum": {"per_sample": "log(1 + exp(-y*(a*x + b))) + 0.1*a**2", "variables": ["a", "b"],
                        "data": data}}))
    w = rng.normal(size=(30, 2))
    want = land.grad(w)
    np.testing.assert_allclose(_compiled_gradient(land, w), want, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------------- statistical equivalence

def _both(spec, seeds=(1, 2)):
    """The same request on each backend, with different seeds (so agreement is statistical, not by stream)."""
    return [simulate({**spec, "seed": s, "dynamics": {**spec["dynamics"], "backend": b}})
            for b, s in zip(("numpy", "compiled"), seeds)]


def test_discrete_ou_stationary_variance_on_both_backends():
    """w <- (1 - lr h) w + lr/sqrt(B) xi: Var = lr / (B h (2 - lr h)) per axis, exactly, for any lr h in (0, 2)."""
    h, lr, B, n = np.array([1.0, 4.0]), 0.05, 2, 20000
    spec = {"landscape": {"expression": "0.5*u**2 + 2*v**2", "variables": ["u", "v"]},
            "dynamics": {"lr": lr, "batch_size": B}, "init": {"point": [0.0, 0.0]}, "particles": n, "steps": 250,
            "observe": {"loss_trace": {"every": 250}, "basins": False, "gibbs": False}}
    var = lr / (B * h * (2 - lr * h))
    mean_loss = 0.5 * float((h * var).sum())
    # loss = 0.5 sum h_k w_k^2 with w_k Gaussian: Var(loss) = 0.5 sum (h_k var_k)^2
    se = np.sqrt(0.5 * float(((h * var) ** 2).sum()) / n)
    for r in _both(spec):
        assert r["performance"]["backend"] in ("numpy", "compiled")
        assert abs(r["loss_trace"]["mean"][-1] - mean_loss) < 4 * se, (r["performance"]["backend"], mean_loss)


def _hist_mean_var(h):
    edges = np.asarray(h["edges"][0])
    c = np.asarray(h["counts"], dtype=float)
    mid = 0.5 * (edges[1:] + edges[:-1])
    m = (c * mid).sum() / c.sum()
    width = edges[1] - edges[0]
    return m, (c * (mid - m) ** 2).sum() / c.sum() - width ** 2 / 12, c.sum()   # Sheppard's correction


def test_minibatch_sgd_stationary_variance_on_both_backends():
    """w <- w - lr (w - mean of B rows drawn with replacement): Var = lr Var(c) / (B (2 - lr)) around mean(c)."""
    c = np.linspace(-1.0, 1.0, 101)
    lr, B, n = 0.1, 4, 20000
    var = lr * c.var() / (B * (2 - lr))
    fs = {"per_sample": "0.5*(w - c)**2", "variables": ["w"], "data": {"c": c.tolist()}}
    spec = {"landscape": {"finite_sum": fs},
            "dynamics": {"method": "minibatch_sgd", "lr": lr, "batch_size": B}, "init": {"point": [0.5]},
            "particles": n, "steps": 150,
            "observe": {"histogram": {"bins": 400, "range": [[-0.6, 0.6]]}, "basins": False, "gibbs": False}}
    for r in _both(spec):
        m, v, total = _hist_mean_var(r["histograms"]["final"])
        assert total == n
        assert abs(m - c.mean()) < 4 * np.sqrt(var / n)
        assert abs(v / var - 1) < 4 * np.sqrt(2 / n), (r["performance"]["backend"], v, var)


def test_gibbs_basin_fractions_on_both_backends():
    spec = {"landscape": {"expression": "0.05*(w**2 - 1)**2 + 0.02*w"},
            "dynamics": {"lr": 0.1}, "particles": 20000, "steps": 3000,
            "observe": {"histogram": {"bins": 60, "range": [[-2.5, 2.5]]}, "basins": True, "gibbs": True}}
    results = _both(spec)
    fr = [r["basins"]["final"][0]["fraction"] for r in results]
    theory = results[0]["gibbs"]["basin_fractions_theory"][0]
    se = np.sqrt(theory * (1 - theory) / 20000)
    for f in fr:
        assert abs(f - theory) < 4 * se + 0.005, (fr, theory)  # 0.005: the O(lr) bias of the discrete chain
    assert abs(fr[0] - fr[1]) < 4 * np.sqrt(2) * se


def test_exit_time_mle_on_both_backends():
    spec = {"landscape": {"expression": "0.1*(w**2 - 1)**2"}, "dynamics": {"lr": 0.1},
            "particles": 8000, "steps": 3000, "init": {"point": [1.0]},
            "observe": {"exit_times": {"from": 1, "to": 0}, "basins": False, "gibbs": False}}
    a, b = (r["exit_times"] for r in _both(spec))
    for e in (a, b):
        assert e["escaped"] > 6000 and e["ci95"][0] < e["mean_steps"] < e["ci95"][1]
    se = [(e["ci95"][1] - e["ci95"][0]) / 3.92 for e in (a, b)]
    for e, s in zip((a, b), se):   # the continuous model's exact MFPT, up to the O(lr) bias of the chain (3%)
        assert abs(e["mean_steps"] - e["exact_steps"]) < 4 * s + 0.03 * e["exact_steps"]
    assert abs(a["mean_steps"] - b["mean_steps"]) < 4 * np.hypot(*se), (a["mean_steps"], b["mean_steps"])


# ------------------------------------------------------------------------------------- exactness and determinism

FULL = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}},
        "dynamics": {"lr": 0.05, "batch_size": 2}, "particles": 9000, "steps": 300,
        "observe": {"histogram": {"bins": 40, "snapshots": [0, 100, 130],
                                  "time_average": {"burn_in": 50, "every": 7}},
                    "exit_times": {"from": 1, "to": 0}, "loss_trace": {"every": 50},
                    "trajectories": {"count": 3, "every": 50}, "arrival": {"bins": 8}}}


def _strip(result):
    out = dict(result)
    out.pop("performance")
    out.pop("job_id", None)
    out["spec"] = {**out["spec"], "dynamics": {k: v for k, v in out["spec"]["dynamics"].items() if k != "backend"}}
    return out


QUADRATIC_3D = {"landscape": {"builtin": "quadratic", "params": {"curvature": [1.0, 2.0, 0.5]}},
                "dynamics": {"lr": {"schedule": "cosine", "lr_max": 0.2, "lr_min": 0.01, "period": 70}},
                "particles": 5000, "steps": 200,
                "observe": {"histogram": {"bins": 30, "snapshots": [64, 65],
                                          "time_average": {"burn_in": 10, "every": 1}},
                            "loss_trace": {"every": 33}, "basins": True}}
HIMMELBLAU_GD = {"landscape": {"builtin": "himmelblau", "params": {"scale": 0.5}},
                 "dynamics": {"method": "gradient_descent", "lr": 0.005}, "particles": 5000, "steps": 150,
                 "observe": {"histogram": {"bins": [20, 20], "time_average": {"burn_in": 0, "every": 5}},
                             "arrival": {"bins": 6}, "trajectories": {"count": 2, "every": 7}}}


@pytest.mark.parametrize("spec", [FULL, QUADRATIC_3D, HIMMELBLAU_GD],
                         ids=["double_well", "quadratic_3d", "himmelblau_gd"])
def test_compiled_reproduces_numpy_bit_for_bit_where_the_arithmetic_is_the_same(spec):
    """numba's Generator draws NumPy's normals in the same order (particle-major, per step), and these catalog
    gradients repeat NumPy's operations: every observer (fused ones included) must then agree exactly, with
    schedules, snapshots inside and at chunk ends, marginal (3-D) and joint time averages."""
    a, b = (simulate({**spec, "dynamics": {**spec["dynamics"], "backend": be}}) for be in ("numpy", "compiled"))
    assert (a["performance"]["backend"], b["performance"]["backend"]) == ("numpy", "compiled")
    assert _strip(a) == _strip(b)
    assert sum(b["histograms"]["time_average"]["counts"]) > 0


def _run_on(executor, spec):
    work = make_work(JobRequest.model_validate(spec))
    results = executor.run(work, "t", lambda p: None, threading.Event(), time.time() + 600)
    return _strip(executor.call(work.finish, results, 1.0, "t"))     # finished where the executor keeps them


MB = {"landscape": {"builtin": "muller_brown"}, "dynamics": {"lr": 0.002, "backend": "compiled"},
      "particles": 9000, "steps": 200, "observe": {"histogram": {"bins": [20, 20],
                                                                "time_average": {"burn_in": 20, "every": 3}},
                                                  "loss_trace": {"every": 50}, "exit_times": {"from": 0, "to": 1}}}


def test_compiled_results_are_identical_for_one_and_two_workers_dask_and_inline():
    distributed = pytest.importorskip("distributed")
    from sgdlab.jobs.executors.dask import DaskExecutor
    inline = _strip(simulate(MB))
    numpy_inline = _strip(simulate({**MB, "dynamics": {**MB["dynamics"], "backend": "numpy"}}))
    for workers in (1, 2):          # (the numpy backend's version of this is test_simulation_behaviour's)
        ex = LocalExecutor(workers)
        try:
            assert _run_on(ex, MB) == inline
        finally:
            ex.close()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        dask = DaskExecutor(cl.scheduler_address)
        try:
            assert _run_on(dask, MB) == inline
        finally:
            dask.close()
    assert inline != numpy_inline   # exp differs in the last bits: the backends really are two code paths


# ------------------------------------------------------------------------------------- backend choice

def _plan(**over):
    spec = {"landscape": {"builtin": "double_well"}, "particles": 1000, "steps": 100, **over}
    return plan_simulation(JobRequest.model_validate(spec))


def test_auto_decides_from_the_spec_alone(monkeypatch):
    assert _plan().backend.name == "numpy"
    big = _plan(particles=100_000, steps=1000).backend
    assert big.name == "compiled" and big.reason.startswith("auto")
    assert _plan(particles=100_000, steps=1000, dynamics={"backend": "numpy"}).backend.name == "numpy"
    fs = {"finite_sum": {"per_sample": "0.5*(w - c)**2", "data": {"c": [0.0, 1.0]}}}
    epochs = _plan(landscape=fs, particles=100_000, steps=1000,
                   dynamics={"method": "minibatch_sgd", "replacement": False}).backend
    assert epochs.name == "numpy" and "epoch" in epochs.reason
    with pytest.raises(SpecError) as err:
        _plan(landscape=fs, dynamics={"noise": "gradient_covariance", "backend": "compiled"})
    assert err.value.field == "dynamics.backend"
    import sgdlab.core.dynamics.backend as backend
    monkeypatch.setattr(backend, "numba_status", lambda: (False, "numba cannot be imported (test)"))
    fallback = _plan(particles=100_000, steps=1000).backend
    assert fallback.name == "numpy" and "numba cannot be imported" in fallback.reason
    with pytest.raises(SpecError):
        _plan(dynamics={"backend": "compiled"})


def test_kernels_are_cached_in_process_and_on_disk():
    land = build_landscape(LandscapeSpec.model_validate({"expression": "w**4 - 3*w**2 + 0.123*w"}))
    code = gradient_code(land)
    compiled_kernel(code, "full_gradient_chunk")
    _, again = compiled_kernel(code, "full_gradient_chunk")
    assert again < 0.05
    key, _ = kernel_module(kernel_module_source(code))
    assert (cache_dir() / f"sgdlab_kernel_{key}.py").exists()
    assert list((cache_dir() / "__pycache__").glob(f"sgdlab_kernel_{key}.full_gradient_chunk*.nbc"))
    choice = choose_backend(JobRequest.model_validate({"landscape": {"expression": "w**2"}, "particles": 10,
                                                       "steps": 10}), land)
    assert choice.name == "numpy"


def test_a_cache_file_that_does_not_hold_its_kernel_is_never_imported(tmp_path, monkeypatch):
    from sgdlab.core.dynamics.compiled import kernel_cache
    monkeypatch.setenv(kernel_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(kernel_cache, "_MODULES", {})
    land = build_landscape(LandscapeSpec.model_validate({"expression": "w**4 - 0.777*w**2"}))
    source = kernel_module_source(gradient_code(land))
    key, _ = kernel_module(source)
    planted = tmp_path / "cache" / f"sgdlab_kernel_{key}.py"
    planted.write_text("raise SystemExit('imported a planted file')\n")
    monkeypatch.setattr(kernel_cache, "_MODULES", {})
    _, module = kernel_module(source)
    assert module.__file__ != str(planted) and hasattr(module, "full_gradient_chunk")
    (tmp_path / "open").mkdir(mode=0o777)
    (tmp_path / "open").chmod(0o777)
    monkeypatch.setenv(kernel_cache.CACHE_DIR_ENV, str(tmp_path / "open"))
    assert cache_dir() != tmp_path / "open"          # writable by others: not used


def test_the_disk_cache_keeps_at_most_max_cached_kernels(tmp_path, monkeypatch):
    from sgdlab.core.dynamics.compiled import kernel_cache
    monkeypatch.setenv(kernel_cache.CACHE_DIR_ENV, str(tmp_path))
    for k in range(5):
        land = build_landscape(LandscapeSpec.model_validate({"expression": f"w**2 + {k + 0.5}*w"}))
        kernel_cache.kernel_module(kernel_module_source(gradient_code(land)), keep=3)
        time.sleep(0.01)
    assert len(list(tmp_path.glob("sgdlab_kernel_*.py"))) == 3


def test_a_kernel_that_fails_to_build_names_the_backend_field(monkeypatch):
    from sgdlab.core.dynamics.compiled import stepper

    def broken(code, name):
        raise RuntimeError("lowering failed")
    monkeypatch.setattr(stepper, "compiled_kernel", broken)
    with pytest.raises(SpecError) as err:
        simulate({"landscape": {"expression": "w**2 + 0.25*w"}, "dynamics": {"backend": "compiled"},
                  "particles": 10, "steps": 5})
    assert err.value.field == "dynamics.backend" and "numpy" in err.value.message


def test_auto_leaves_work_that_does_not_amortise_a_compile_on_numpy():
    """The review's FS1 (4 rows, minibatch B 4, 6e7 particle-rows: 1.0 s on NumPy, 5.6 s to compile) runs on numpy;
    formulas and finite sums compile only from several times their measured compile time of NumPy work."""
    fs = {"finite_sum": {"per_sample": "0.5*(x*w - y)**2", "data": {"x": [1, 2, 3, 4], "y": [0, 1, 0, 1]}}}
    fs1 = _plan(landscape=fs, particles=15_000, steps=1000, dynamics={"method": "minibatch_sgd", "batch_size": 4})
    assert fs1.backend.name == "numpy" and "6e+07" in fs1.backend.reason
    big = _plan(landscape=fs, particles=100_000, steps=1000, dynamics={"method": "minibatch_sgd", "batch_size": 4})
    assert big.backend.name == "compiled"                                       # 4e8 rows
    formula = {"expression": "w**4/4 - w**2/2"}
    assert _plan(landscape=formula, particles=50_000, steps=1000).backend.name == "numpy"    # 5e7
    assert _plan(landscape=formula, particles=100_000, steps=1000).backend.name == "compiled"  # 1e8
