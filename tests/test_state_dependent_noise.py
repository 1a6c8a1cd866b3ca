"""Theory of the dynamics that ran, with state-dependent gradient noise: zero-flux density, exit times, grid chain
and local laws, against simulations and independent references."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from sgdlab.core.simulation.plan import analysis_of, landscape_of
from sgdlab.core.simulation.run import simulate
from sgdlab.core.simulation.hooks import NoHooks
from sgdlab.jobs.work import make_work
from sgdlab.spec import JobRequest
from sgdlab.spec.dynamics import DynamicsSpec
from sgdlab.theory import exit_times as et
from sgdlab.theory.exit_times_noise import exit_theory
from sgdlab.theory.gibbs import goodness_of_fit
from sgdlab.theory.noise import NoiseModel, noise_model
from sgdlab.theory.state_dependent import kramers_1d, mfpt_1d, noise_profile_1d


def _loud_right_well(sa2: float, sb2: float, k: float = 0.1) -> dict:
    """Per-sample k (w^2-1)^2 + a (w + 0.4 w^2) + b w, centred uncorrelated a, b: a symmetric double well whose
    noise Sigma = sa2 (1 + 0.8 w)^2 + sb2 is loud in the right well (x81 at w = 1 vs w = -1 for the a part)."""
    a = np.sqrt(sa2) * np.array([1.0, -1.0, 1.0, -1.0])
    b = np.sqrt(sb2) * np.array([1.0, 1.0, -1.0, -1.0])
    return {"finite_sum": {"per_sample": f"{k}*(w**2-1)**2 + a*(w + 0.4*w**2) + b*w",
                           "data": {"a": a.tolist(), "b": b.tolist()}, "range": [[-3, 3]]}}


LANDSCAPE = _loud_right_well(8.34, 3.66)
DYNAMICS = {"method": "langevin", "noise": "gradient_covariance", "lr": 0.025, "batch_size": 1}
SIM = {"landscape": LANDSCAPE, "dynamics": DYNAMICS, "particles": 20000, "steps": 2000,
       "init": {"uniform": {"low": [-1.5], "high": [1.5]}},
       "observe": {"histogram": {"bins": 40, "range": [[-3, 3]]}, "basins": True}}


@pytest.fixture(scope="module")
def loud_run():
    return simulate(SIM)


def test_noise_picks_the_quieter_well_as_the_zero_flux_density_says_not_gibbs(loud_run):
    r = loud_run
    st = r["stationary"]
    assert st["law"] == "fokker_planck"
    assert st["chi2_pvalue"] > 1e-3
    measured, se = r["basins"]["final"][0]["fraction"], r["basins"]["final"][0]["stderr"]
    theory = st["basin_fractions_theory"][0]
    # O(lr) allowance: the chain's local variances exceed the continuous ones by 1/(1 - lr h/2); applied to the
    # smaller basin's mass that shifts a fraction by about (lr h_max / 2) min(f, 1 - f)
    h_max = max(m["hessian_eigenvalues"][0] for m in r["landscape"]["minima"])
    allowance = 0.5 * 0.025 * h_max * min(theory, 1 - theory)
    assert abs(measured - theory) < 4 * se + allowance
    assert theory > 0.85                                             # the quiet well wins ...
    gibbs = r["gibbs"]["basin_fractions_theory"][0]
    assert gibbs == pytest.approx(0.5, abs=1e-3)                     # ... which every Gibbs law misses (symmetric L)
    assert abs(measured - gibbs) > 50 * se
    assert r["gibbs"]["chi2_pvalue"] < 1e-10
    codes = {w["code"] for w in r["validity"]["warnings"]}
    assert "state_dependent_noise" in codes and "not_mixed" not in codes
    chain = st["grid_chain"]                                         # the discrete chain's own law, as a cross-check
    assert chain["chi2_pvalue"] > 1e-3 and abs(chain["basin_fractions_theory"][0] - measured) < 4 * se


def test_grid_chain_with_sigma_is_the_invariant_law_of_the_simulation_and_kl_never_increases(loud_run):
    spec = {**{k: v for k, v in SIM.items() if k not in ("particles", "observe")}, "kind": "density_evolution",
            "grid": {"points": 1200, "range": [[-3, 3]]}, "steps": 2000}
    work = make_work(JobRequest.model_validate(spec))
    out = work.finish([fn(*args, NoHooks()) for fn, args in work.tasks], 1.0, "t")
    kl = np.array(out["kl_to_stationary"])
    assert np.all(np.diff(kl) <= 1e-12 * kl[:-1] + 1e-15) and kl[-1] < 1e-6 * kl[0]
    cells = np.array(out["stationary"]["density"]) * np.diff(out["grid"]["edges"][0])
    bins = cells.reshape(40, 30).sum(axis=1)                         # 1200 grid cells -> the 40 histogram bins
    fit = goodness_of_fit(loud_run["histograms"]["final"]["counts"], bins / bins.sum())
    assert fit["chi2_pvalue"] > 1e-3
    assert "data noise" in out["gibbs"]["note"] and out["noise"]["kind"] == "gradient_covariance"


def _ode_mfpt(grad, diff, far: float, edge: float, start: float) -> float:
    """Reference: u = tau' solves D u' - L' u = -1 with u(far) = 0 (reflecting); tau(start) = -int_start^edge u."""
    sol = solve_ivp(lambda y, v: [(grad(y) * v[0] - 1.0) / diff(y), v[0]], (far, edge), [0.0, 0.0],
                    method="Radau", rtol=1e-11, atol=1e-14, dense_output=True)
    return -float(sol.sol(edge)[1] - sol.sol(start)[1])            # far < start < edge


@pytest.mark.parametrize("lr", [0.2, 0.08])
def test_state_dependent_mfpt_matches_an_ode_solve_and_kramers_at_high_barriers(lr):
    land = landscape_of(JobRequest.model_validate({**SIM, "landscape": _loud_right_well(0.2, 0.1, k=0.25)}).landscape)
    model = NoiseModel("gradient_covariance", lr, 1)
    prof = noise_profile_1d(land, model, -3, 3)
    grad = lambda y: y ** 3 - y                                       # noqa: E731  L' of 0.25 (w^2-1)^2
    diff = lambda y: lr / 2 * (0.2 * (1 + 0.8 * y) ** 2 + 0.1)        # noqa: E731  D = lr Sigma / 2
    assert np.interp(0.3, prof.nodes, prof.diffusion) == pytest.approx(diff(0.3), rel=1e-12)
    tau = mfpt_1d(prof, -1.0, 1.0, 0.5, 20001)                        # left well -> ball around the right one
    ref = _ode_mfpt(grad, diff, -3.0, 0.5, -1.0)
    assert tau == pytest.approx(ref, rel=2e-4)
    barrier_over_d = 0.25 / diff(-1.0)
    if barrier_over_d > 50:                                           # survives beta * dL >= 50 (log space)
        k = kramers_1d(prof, -1.0, 0.0, 2.0, -1.0)
        assert np.isfinite(tau) and k == pytest.approx(tau, rel=0.05)


def test_constant_noise_reduces_to_the_isotropic_formulas():
    land = landscape_of(JobRequest.model_validate({**SIM, "landscape": _loud_right_well(0.0, 0.5, k=0.25)}).landscape)
    analysis = analysis_of(JobRequest.model_validate({**SIM, "landscape": _loud_right_well(0.0, 0.5, k=0.25)}
                                                     ).landscape)
    dyn = DynamicsSpec(method="langevin", noise="gradient_covariance", lr=0.1, batch_size=1)
    model = noise_model(dyn, land, 0.1)
    th = exit_theory(land, analysis, model, 0, 1)
    T = 0.1 * 0.5 / 2
    assert th["exact_steps"] == pytest.approx(et.exact_mfpt_steps(land, analysis, 0, 1, T, 0.1), rel=1e-5)
    assert th["kramers_steps"] == pytest.approx(et.kramers_steps(analysis, 0, 1, T, 0.1), rel=1e-5)
    assert th["exact_method"].startswith("quadrature_1d_state_dependent")


def test_anisotropic_grid_kernel_reduces_to_the_isotropic_one_and_has_the_right_moments():
    from sgdlab.theory.density_evolution import make_grid, transition_matrix
    from sgdlab.core.landscapes.formula import FormulaLandscape
    land = FormulaLandscape("0.5*(u**2 + 2*v**2)", ["u", "v"], range=[(-2, 2), (-2, 2)])
    grid = make_grid([(-2, 2), (-2, 2)], 60)
    iso = transition_matrix(land, grid, 0.2, 2)
    same = transition_matrix(land, grid, 0.2, 2, noise_cov=lambda p: np.broadcast_to(np.eye(2), (len(p), 2, 2)))
    assert abs(iso - same).max() < 1e-14
    cov = np.array([[1.0, 0.7], [0.7, 0.8]])
    grid = make_grid([(-2, 2), (-2, 2)], 40)
    P = transition_matrix(land, grid, 0.3, 1, noise_cov=lambda p: np.broadcast_to(cov, (len(p), 2, 2)))
    pts = grid.points()
    i = int(np.argmin(np.linalg.norm(pts - [0.1, -0.1], axis=1)))        # a source far from the box edges
    row = P[i].toarray().ravel()
    mean = row @ pts
    centred = pts - mean
    assert mean == pytest.approx(pts[i] - 0.3 * np.array([1.0, 2.0]) * pts[i], abs=1e-3)
    # covariance of the cell-centre distribution: lr^2 Sigma plus the cells' own spread h^2/12 per axis
    h = 4 / 40
    assert (row[:, None, None] * np.einsum("ni,nj->nij", centred, centred)).sum(axis=0) == pytest.approx(
        0.09 * cov + h * h / 12 * np.eye(2), abs=1e-3)


def test_2d_state_dependent_noise_histogram_follows_the_grid_chain_not_gibbs_or_the_local_gaussian():
    a, b = [1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]
    spec = {"landscape": {"finite_sum": {"per_sample": "0.5*(u**2 + v**2) + 0.1*u**4 + a*(u + 0.3*u**2) "
                                                       "+ b*(v + 0.3*u*v)", "variables": ["u", "v"],
                                         "data": {"a": a, "b": b}}},
            "dynamics": {"method": "langevin", "noise": "gradient_covariance", "lr": 0.25, "batch_size": 1},
            "particles": 10000, "steps": 200, "init": {"point": [0, 0]},
            "observe": {"histogram": {"bins": 20, "range": [[-1.5, 1.5], [-1.5, 1.5]]}, "basins": True,
                        "gibbs": False}}
    r = simulate(spec)
    st = r["stationary"]
    assert st["law"] == "grid_chain" and st["chi2_pvalue"] > 1e-3
    assert r["local_laws"][0]["max_abs_z"] > 4              # a Gaussian at the minimum misses the skewed law
    from sgdlab.theory.gibbs import gibbs_density_on_bins
    land = landscape_of(JobRequest.model_validate(spec).landscape)
    gibbs = gibbs_density_on_bins(land, r["histograms"]["final"]["edges"], 1 / r["noise"]["minima"][0][
        "temperature_scalar"])
    assert goodness_of_fit(r["histograms"]["final"]["counts"], gibbs)["chi2_pvalue"] < 1e-10


def test_2d_exit_time_with_data_noise_matches_the_grid_chain_hitting_time():
    a, b = [1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]
    spec = {"landscape": {"finite_sum": {"per_sample": "0.075*(u**2-1)**2 + 0.5*v**2 + 0.02*u + 0.8*a*(u + 0.3*v) "
                                                       "+ 0.8*b*v*(1 + 0.3*u)", "variables": ["u", "v"],
                                         "data": {"a": a, "b": b}, "range": [[-2, 2], [-1, 1]]}},
            "dynamics": {"method": "langevin", "noise": "gradient_covariance", "lr": 0.1, "batch_size": 1},
            "particles": 1000, "steps": 2500, "init": {"minimum": 1},
            "observe": {"exit_times": {"from": 1, "to": 0}, "gibbs": False, "histogram": {"bins": 10}}}
    r = simulate(spec)
    e = r["exit_times"]
    assert e["exact_method"].startswith("grid_chain_2d") and e["escaped"] > 800
    lo, hi = e["ci95"]
    assert 0.9 * lo <= e["exact_steps"] <= 1.1 * hi
    # the quasi-1-D path formula (1129 steps; measured 1070 [1003, 1143]); the saddle temperature gave 907
    assert e["kramers_formula"].startswith("kramers_path_state_dependent")
    assert 0.9 * lo <= e["kramers_steps"] <= 1.1 * hi


def test_density_evolution_accepts_minibatch_sgd_in_2d_and_refuses_gradient_descent():
    from sgdlab.core.errors import SpecError
    c = np.array([[0.3, -0.2], [-0.3, 0.2], [0.1, 0.4], [-0.1, -0.4]])
    spec = {"kind": "density_evolution", "steps": 50, "grid": {"points": 30},
            "landscape": {"finite_sum": {"per_sample": "0.5*(u - a)**2 + 0.5*(v - b)**2 + 0.2*u*v",
                                         "variables": ["u", "v"], "data": {"a": c[:, 0].tolist(),
                                                                           "b": c[:, 1].tolist()},
                                         "range": [[-1, 1], [-1, 1]]}},
            "dynamics": {"method": "minibatch_sgd", "lr": 0.3, "batch_size": 1}}
    work = make_work(JobRequest.model_validate(spec))
    out = work.finish([fn(*args, NoHooks()) for fn, args in work.tasks], 1.0, "t")
    kl = np.array(out["kl_to_stationary"])
    assert np.all(np.diff(kl) <= 1e-12 * kl[:-1] + 1e-15)
    assert out["noise"]["kind"] == "minibatch" and "Gaussian model" in out["kernel"]
    # constant anisotropic Sigma on a quadratic: the invariant law's covariance is the Lyapunov one (+ h^2/12)
    from sgdlab.theory.local_laws import lyapunov_covariance
    sigma = np.cov(c.T, bias=True)
    s = lyapunov_covariance(np.array([[1.0, 0.2], [0.2, 1.0]]), sigma, 0.3, 1)
    edges = [np.array(e) for e in out["grid"]["edges"]]
    centres = [0.5 * (e[1:] + e[:-1]) for e in edges]
    p = np.array(out["stationary"]["density"]).reshape(30, 30) * np.outer(np.diff(edges[0]), np.diff(edges[1]))
    uu, vv = np.meshgrid(*centres, indexing="ij")
    mu = np.array([(p * uu).sum(), (p * vv).sum()])
    cov = np.array([[(p * (uu - mu[0]) ** 2).sum(), (p * (uu - mu[0]) * (vv - mu[1])).sum()],
                    [0, (p * (vv - mu[1]) ** 2).sum()]])
    cov[1, 0] = cov[0, 1]
    h = 2 / 30
    assert cov == pytest.approx(s + h * h / 12 * np.eye(2), abs=0.05 * np.abs(s).max())
    with pytest.raises(SpecError):
        make_work(JobRequest.model_validate({**spec, "dynamics": {"method": "gradient_descent", "lr": 0.1}}))


def test_sgd_noise_favours_the_flat_minimum_exponentially_isotropic_noise_only_by_a_prefactor():
    """Two minima of equal depth (L = 0 at w = -1 and 1) with curvatures 1 (flat) and 3 (sharp), and data noise
    with Sigma proportional to the Hessian at both (per-sample L + a g(w), g'(w)^2 = L''(w) at the minima):
    the sharp minimum is left exponentially faster (Xie, Sato and Sugiyama 2021); with isotropic noise only
    the Kramers prefactor sqrt(h) differs."""
    alpha, beta = (np.sqrt(3) + 1) / 2, (np.sqrt(3) - 1) / 2
    land_spec = {"finite_sum": {"per_sample": f"0.25*(w**2-1)**2*(1 + 0.5*w) + a*({alpha}*w + {beta / 2}*w**2)",
                                "data": {"a": [0.5, -0.5]}, "range": [[-1.8, 1.8]]}}   # 1 + w/2 > 0 there
    ls = JobRequest.model_validate({**SIM, "landscape": land_spec}).landscape
    land, analysis = landscape_of(ls), analysis_of(ls)
    flat, sharp = [m.index for m in sorted(analysis.minima, key=lambda m: m.hessian_eigenvalues[0])]
    assert [float(analysis.minima[k].hessian_eigenvalues[0]) for k in (flat, sharp)] == pytest.approx([1, 3], rel=1e-6)
    assert abs(analysis.minima[flat].loss - analysis.minima[sharp].loss) < 1e-12
    lr = 0.02
    data = NoiseModel("gradient_covariance", lr, 1)
    sig = data.covariance(land, np.array([m.location for m in analysis.minima]))[:, 0, 0]
    assert sig[sharp] / sig[flat] == pytest.approx(3.0, rel=1e-6)              # Sigma ∝ H at the minima
    # isotropic at the same temperature as the data noise at the flat minimum
    iso = NoiseModel("isotropic", lr * float(sig[flat]), 1)

    def ratio(model):
        out_flat = exit_theory(land, analysis, model, flat, sharp)["exact_steps"]
        out_sharp = exit_theory(land, analysis, model, sharp, flat)["exact_steps"]
        return out_flat / out_sharp

    r_iso, r_data = ratio(iso), ratio(data)
    assert r_iso == pytest.approx(np.sqrt(3), rel=0.02)   # equal barriers: only the prefactor sqrt(h_sharp/h_flat)
    assert r_data > 1e6 * r_iso                       # dL/(T h): the sharp minimum's barrier is ~3x fewer temperatures


def _fs(rotated: bool):
    from sgdlab.core.landscapes.finite_sum import FiniteSumFormulaLandscape
    u, v = ("(0.8*x + 0.6*y)", "(-0.6*x + 0.8*y)") if rotated else ("u", "v")
    names = ["x", "y"] if rotated else ["u", "v"]
    return FiniteSumFormulaLandscape(
        f"0.25*({u}**2-1)**2 + 0.5*{v}**2 + a*({u} + 0.4*{u}**2) + b*{u} + c*{v}", names,
        {"a": [1, -1] * 4, "b": [0.3, 0.3, -0.3, -0.3] * 2, "c": [0.5] * 4 + [-0.5] * 4}, range=[(-2, 2), (-2, 2)])


@pytest.mark.parametrize("rotated", [False, True])
def test_2d_path_kramers_equals_the_1d_formula_for_a_separable_loss(rotated):
    """FS2 = FS1 in u plus an independent quadratic in v: the quasi-1-D path formula is the 1-D state-dependent
    Kramers time of FS1 (6931 steps; measured 9318, exact 1-D 7948); it was 857,132 with the saddle temperature.
    Rotating the coordinates changes nothing."""
    from sgdlab.core.landscapes.finite_sum import FiniteSumFormulaLandscape
    from sgdlab.spec.dynamics import DynamicsSpec
    from sgdlab.theory.exit_times_noise import exit_theory
    from sgdlab.theory.landscape_analysis import analyze_landscape
    from sgdlab.theory.noise import noise_model
    dyn = DynamicsSpec.model_validate({"method": "minibatch_sgd", "lr": 0.05, "batch_size": 1})
    fs1 = FiniteSumFormulaLandscape("0.25*(w**2-1)**2 + a*(w + 0.4*w**2) + b*w", ["w"],
                                    {"a": [1, -1, 1, -1], "b": [0.3, 0.3, -0.3, -0.3]})
    a1 = analyze_landscape(fs1)
    one = exit_theory(fs1, a1, noise_model(dyn, fs1, 0.05), 1, 0, exact=False)
    land = _fs(rotated)
    a2 = analyze_landscape(land)
    start = max(a2.minima, key=lambda m: float(m.location @ (np.array([0.8, 0.6]) if rotated else np.array([1, 0]))))
    end = 1 - start.index
    two = exit_theory(land, a2, noise_model(dyn, land, 0.05), start.index, end, exact=False)
    assert two["kramers_formula"].startswith("kramers_path_state_dependent")
    assert two["kramers_steps"] == pytest.approx(one["kramers_steps"], rel=1e-4)
    assert one["kramers_steps"] == pytest.approx(6930.8, rel=1e-4)


def test_exit_toward_an_interpolating_minimum_integrates_only_where_the_noise_lives():
    """a = +-0.5 in a*(w+1)**2: D = lr (w+1)^2 / 2 vanishes at the target w = -1 only, inside the target ball;
    the exit 1 -> 0 integrates [-0.5, 3]. mpmath's double integral: 4973.12 steps (was 'unavailable')."""
    import mpmath as mp
    from sgdlab.core.landscapes.finite_sum import FiniteSumFormulaLandscape
    from sgdlab.spec.dynamics import DynamicsSpec
    from sgdlab.theory.exit_times_noise import exit_theory
    from sgdlab.theory.landscape_analysis import analyze_landscape
    from sgdlab.theory.noise import noise_model
    lr = 0.05
    land = FiniteSumFormulaLandscape("0.25*(w**2-1)**2 + a*(w+1)**2", ["w"], {"a": [0.5, -0.5]})
    analysis = analyze_landscape(land)
    assert analysis.range == [(-3.0, 3.0)] and analysis.default_exit_radius(0, 1) == pytest.approx(0.5)
    model = noise_model(DynamicsSpec.model_validate({"method": "minibatch_sgd", "lr": lr, "batch_size": 1}), land, lr)
    th = exit_theory(land, analysis, model, 1, 0)
    # Phi = int L'/D with L'/D = (y - 2 + 2/(y+1)) / (lr/2); tau = int_{-1/2}^1 e^Phi(y) int_y^3 e^-Phi/D dz dy
    prim = lambda y: (y ** 2 / 2 - 2 * y + 2 * mp.log(y + 1)) / (lr / 2)                      # noqa: E731
    phi = lambda w: prim(w) - prim(1)                                                           # noqa: E731
    inner = lambda y: mp.quad(lambda z: mp.exp(-phi(z)) / (lr / 2 * (z + 1) ** 2), [y, 1, 3])  # noqa: E731
    tau = float(mp.quad(lambda y: mp.exp(phi(y)) * inner(y), [-0.5, 0, 1])) / lr
    assert th["exact_steps"] == pytest.approx(tau, rel=1e-5) and tau == pytest.approx(4973.12, rel=1e-5)
    assert th["kramers_steps"] > 0
    back = exit_theory(land, analysis, model, 0, 1)        # from the interpolating minimum: the noise is 0 there
    assert back["exact_steps"] is None and back["exact_method"].startswith("unavailable")
