"""The dashboard in headless Chromium on the live server: submit a small job through the form (method, schedule,
init, exit-time minima), watch it finish, check that every plot image loads, that the jobs list tells runs apart
and filters by status, that a density-evolution job shows its own key numbers and plots, that a 422 shows
inline, and that the Markov page draws its charts and clears them after an error."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import httpx
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
README_SHOT = REPO / "docs" / "dashboard.png"


INSTALL_MESSAGE = "installing Debian's chromium with apt-get for the browser tests (a minute or two)..."


def ensure_chromium(say: Callable[[str], None] = print) -> str | None:
    """Install Debian's chromium when it is missing and we may (root with apt-get), announcing it with `say`
    in one line first; the reason it could not, or None."""
    if os.path.exists(CHROMIUM):
        return None
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return f"{CHROMIUM} is missing and this user cannot apt-get install chromium"
    say(INSTALL_MESSAGE)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, check=True, capture_output=True,
                       timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"could not install Debian's chromium: {exc}"
    return None if os.path.exists(CHROMIUM) else f"apt-get installed chromium but {CHROMIUM} is missing"


def say_on_terminal(config: pytest.Config) -> Callable[[str], None]:
    """A `say` that reaches the user's terminal through pytest's output capture."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(line: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"\n{line}", flush=True)
    return say


def test_chromium_install_is_announced_in_one_line_before_apt_runs(monkeypatch):
    events: list[str] = []
    monkeypatch.setattr(os.path, "exists", lambda path: False if path == CHROMIUM else True)
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: events.append("run " + " ".join(argv[:2])))
    ensure_chromium(events.append)
    assert events == [INSTALL_MESSAGE, "run apt-get update", "run apt-get install"]
    assert "\n" not in INSTALL_MESSAGE


@pytest.fixture(scope="module")
def browser(request):
    reason = ensure_chromium(say_on_terminal(request.config))
    if reason:
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors
    yield pg
    context.close()


def test_submit_watch_and_see_plots(page, live_api):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(live_api + "/dashboard")
    page.wait_for_selector("#landscape option[value=double_well]", state="attached", timeout=20_000)
    page.select_option("#landscape", "double_well")
    page.fill("input[name='param.tilt']", "0.1")
    page.fill("input[name='dynamics.lr']", "0.1")
    page.fill("input[name='particles']", "500")
    page.fill("input[name='steps']", "200")
    # the minima of the chosen landscape fill the exit-time and init choices (POST /v1/landscapes/analyze)
    page.wait_for_selector("#exit-to option[value='1']", state="attached", timeout=20_000)
    assert page.eval_on_selector_all("#exit-from option", "os => os.map(o => o.value)") == ["0", "1"]
    page.check("input[name='observe.exit_times']")
    page.select_option("#exit-from", "1")
    page.select_option("#exit-to", "0")
    page.check("input[name='observe.arrival']")
    page.select_option("#init-kind", "minimum")
    page.select_option("#init-minimum", "1")
    page.select_option("#method", "langevin")
    assert page.is_visible("#noise")
    page.select_option("#schedule", "cosine")      # its parameters come from the service's schema
    assert not page.is_visible("input[name='dynamics.lr']")
    page.fill("input[name='schedule.lr_max']", "0.1")
    page.fill("input[name='schedule.lr_min']", "0.02")
    page.fill("input[name='schedule.period']", "100")
    page.screenshot(path=str(SCREENSHOTS / "01-form.png"), full_page=True)
    with page.expect_request(lambda r: r.url.endswith("/v1/jobs") and r.method == "POST") as sent:
        page.click("#submit-job")
    body = sent.value.post_data_json
    assert body["dynamics"]["lr"] == {"schedule": "cosine", "lr_max": 0.1, "lr_min": 0.02, "period": 100,
                                      "period_mult": 1}
    assert body["init"] == {"minimum": 1} and body["observe"]["exit_times"] == {"from": 1, "to": 0}
    page.wait_for_url("**/dashboard/jobs/*", timeout=20_000)
    page.wait_for_selector("#job-status .status.succeeded", timeout=120_000)
    page.wait_for_selector("#plots img", timeout=20_000)
    names = page.eval_on_selector_all("#plots img", "imgs => imgs.map(i => i.id)")
    assert set(names) >= {"plot-histogram", "plot-basins", "plot-survival", "plot-loss_trace",
                          "plot-trajectories", "plot-arrival"}
    page.wait_for_function("() => [...document.querySelectorAll('#plots img')].every(i => i.complete)",
                           timeout=60_000)
    widths = page.eval_on_selector_all("#plots img", "imgs => imgs.map(i => [i.id, i.naturalWidth])")
    assert all(w > 0 for _, w in widths), widths
    numbers = page.inner_text("#key-numbers")
    assert "β fitted" in numbers and "mean exit time" in numbers and "exponential fit p-value" in numbers
    assert "cosine(" in page.inner_text("#job-summary")
    assert page.inner_text("#basin-table tbody").count("\n") >= 1  # two basins
    page.screenshot(path=str(SCREENSHOTS / "02-job.png"), full_page=True)
    if os.environ.get("SGDLAB_UPDATE_README_SCREENSHOT"):    # the committed README picture, only on request
        page.screenshot(path=str(README_SHOT), full_page=True)
    job_id = page.url.rsplit("/", 1)[-1]
    page.goto(live_api + "/dashboard")
    page.wait_for_selector("#jobs-table .status.succeeded", timeout=20_000)
    page.screenshot(path=str(SCREENSHOTS / "03-jobs.png"), full_page=True)
    assert not page.js_errors, page.js_errors
    check_jobs_list(page, job_id)


def check_jobs_list(page, job_id: str) -> None:
    """The list names each run's landscape, method, lr, B, particles and steps, and filters by status."""
    headers = page.eval_on_selector_all("#jobs-table thead th", "ths => ths.map(t => t.textContent.trim())")
    for name in ("landscape", "method", "lr", "B", "particles", "steps", "status"):
        assert name in headers, headers
    row = page.locator(f"#job-{job_id}")
    cells = dict(zip(headers, row.locator("td").all_inner_texts()))
    assert cells["landscape"] == "double_well" and cells["method"] == "langevin", cells
    assert cells["lr"].startswith("cosine(") and cells["B"] == "1", cells
    assert cells["particles"] == "500" and cells["steps"] == "200", cells
    page.select_option("#status-filter", "failed")
    page.wait_for_function(f"() => !document.getElementById('job-{job_id}')", timeout=20_000)
    statuses = page.eval_on_selector_all("#jobs-table tbody .status", "ss => ss.map(s => s.textContent)")
    assert set(statuses) <= {"failed"}, statuses
    page.select_option("#status-filter", "succeeded")
    page.wait_for_selector(f"#job-{job_id}", timeout=20_000)
    statuses = page.eval_on_selector_all("#jobs-table tbody .status", "ss => ss.map(s => s.textContent)")
    assert statuses and set(statuses) == {"succeeded"}, statuses


def test_density_evolution_job_shows_its_own_numbers_and_plots(page, live_api):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    r = httpx.post(live_api + "/v1/jobs", json={
        "kind": "density_evolution", "landscape": {"builtin": "double_well"},
        "dynamics": {"lr": 0.1, "batch_size": 1}, "init": {"minimum": 0}, "steps": 150, "grid": {"points": 200}},
        timeout=30)
    assert r.status_code == 202, r.text
    page.goto(live_api + "/dashboard/jobs/" + r.json()["id"])
    page.wait_for_selector("#job-status .status.succeeded", timeout=120_000)
    page.wait_for_selector("#numbers-card:not([hidden]) #key-numbers dt", timeout=20_000)
    terms = page.eval_on_selector_all("#key-numbers dt", "ds => ds.map(d => d.textContent)")
    values = dict(zip(terms, page.eval_on_selector_all("#key-numbers dd", "ds => ds.map(d => d.textContent)")))
    assert values["grid"] == "200 points" and values["final step"] == "150", values
    kl_end = next(v for k, v in values.items() if k.startswith("KL(ρ_T"))
    gap = next(v for k, v in values.items() if k.startswith("stationary vs Gibbs: KL"))
    assert float(kl_end.split()[0]) >= 0 and float(gap.split()[0]) > 0, values   # numbers, not dashes
    page.wait_for_function("() => [...document.querySelectorAll('#plots img')].length >= 3 && "
                           "[...document.querySelectorAll('#plots img')].every(i => i.complete)", timeout=60_000)
    widths = dict(page.eval_on_selector_all("#plots img", "imgs => imgs.map(i => [i.id, i.naturalWidth])"))
    assert {"plot-histogram", "plot-kl_to_stationary", "plot-stationary_vs_gibbs"} <= set(widths), widths
    assert all(w > 0 for w in widths.values()), widths
    page.screenshot(path=str(SCREENSHOTS / "06-density-job.png"), full_page=True)
    assert not page.js_errors, page.js_errors


def test_validation_errors_show_inline(page, live_api):
    page.goto(live_api + "/dashboard")
    page.wait_for_selector("#landscape option[value=double_well]", state="attached", timeout=20_000)
    page.select_option("#landscape", "double_well")
    page.fill("input[name='particles']", "0")
    page.fill("input[name='dynamics.lr']", "-1")
    page.click("#submit-job")
    error = page.wait_for_selector("[data-error-for='particles']:not(:empty)", timeout=20_000)
    assert error.inner_text().strip()
    # lr's message lands next to the lr input (the service names the field dynamics.lr)
    lr_error = page.wait_for_selector("[data-error-for='dynamics.lr']:not(:empty)", timeout=5_000)
    assert "greater than 0" in lr_error.inner_text()
    assert "/dashboard/jobs/" not in page.url
    page.screenshot(path=str(SCREENSHOTS / "04-form-422.png"))


def test_markov_page_draws_stationary_law_and_kl_curve(page, live_api):
    page.goto(live_api + "/dashboard/markov")
    page.click("#markov-form button[type=submit]")
    page.wait_for_selector("#markov-result:not([hidden]) #kl-chart svg path.series", timeout=20_000)
    bars = page.eval_on_selector_all("#stationary svg rect.bar", "rs => rs.length")
    assert bars == 3
    page.fill("textarea[name=transition_matrix]", "[[0.5, 0.6], [0.5, 0.5]]")
    page.click("#markov-form button[type=submit]")
    page.wait_for_selector("#form-errors:not([hidden]), .field-error:not(:empty)", timeout=20_000)
    # the previous chain's results are gone: nothing on screen contradicts the error
    assert page.is_hidden("#markov-result")
    assert page.eval_on_selector_all("#stationary svg, #kl-chart svg", "s => s.length") == 0
    page.screenshot(path=str(SCREENSHOTS / "05-markov.png"), full_page=True)
    assert not page.js_errors, page.js_errors


def test_sweep_job_shows_its_points_analyses_and_plots(page, live_api):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    r = httpx.post(live_api + "/v1/jobs", json={
        "kind": "sweep", "mode": "zip",
        "base": {"landscape": {"builtin": "double_well", "params": {"tilt": 0.05, "height": 0.5, "width": 2.0}},
                 "particles": 3000, "seed": 3},
        "axes": [{"path": "dynamics.lr", "values": [0.02, 0.04, 0.04]},
                 {"path": "dynamics.batch_size", "values": [1, 2, 1]},
                 {"path": "time", "values": [20.0, 20.0, 20.0]}]}, timeout=30)
    assert r.status_code == 202, r.text
    page.goto(live_api + "/dashboard/jobs/" + r.json()["id"])
    page.wait_for_selector("#job-status .status.succeeded", timeout=120_000)
    page.wait_for_selector("#points-table:not([hidden]) tbody tr", timeout=20_000)
    head = page.eval_on_selector_all("#points-table th", "ths => ths.map(t => t.textContent)")
    assert head[:4] == ["point", "dynamics.lr", "dynamics.batch_size", "time"], head
    assert len(page.query_selector_all("#points-table tbody tr")) == 3
    terms = page.eval_on_selector_all("#key-numbers dt", "ds => ds.map(d => d.textContent)")
    assert "points" in terms and any(t.startswith("linear scaling") for t in terms), terms
    page.wait_for_function("() => [...document.querySelectorAll('#plots img')].length >= 2 && "
                           "[...document.querySelectorAll('#plots img')].every(i => i.complete)", timeout=60_000)
    widths = dict(page.eval_on_selector_all("#plots img", "imgs => imgs.map(i => [i.id, i.naturalWidth])"))
    assert {"plot-scaling", "plot-heatmap"} <= set(widths) and "plot-arrhenius" not in widths, widths
    assert all(w > 0 for w in widths.values()), widths
    assert page.query_selector("#table-links a[href$='/tables/points?format=csv']") is not None
    page.screenshot(path=str(SCREENSHOTS / "08-sweep-job.png"), full_page=True)
    assert not page.js_errors, page.js_errors


def test_api_docs_list_the_operations_offline(page, live_api):
    """/docs draws Swagger UI from the service's own assets: every other host is cut off, and it still lists
    every operation of /openapi.json."""
    refused: list[str] = []

    def only_local(route):
        if route.request.url.startswith(live_api):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(live_api + "/docs")
    page.wait_for_selector(".opblock .opblock-summary-path", timeout=30_000)
    shown = page.eval_on_selector_all(".opblock", "bs => bs.map(b => [b.querySelector('.opblock-summary-method')"
                                      ".textContent, b.querySelector('.opblock-summary-path').dataset.path])")
    spec = httpx.get(live_api + "/openapi.json", timeout=30).json()
    expected = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert {(m.upper(), p) for m, p in shown} == expected
    assert refused == [] and not page.js_errors, (refused, page.js_errors)
    page.screenshot(path=str(SCREENSHOTS / "06-api-docs.png"))


def test_job_page_shows_validity_warnings_next_to_the_numbers(page, live_api):
    """The issue's divergent case (double well, tilt 0.1, lr 0.3, B 1): the page says so, beside the numbers."""
    import httpx
    job = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}}, "dynamics": {"lr": 0.3, "batch_size": 1},
           "particles": 500, "steps": 500, "observe": {"histogram": {"bins": 40}, "exit_times": {"from": 1, "to": 0}}}
    r = httpx.post(live_api + "/v1/jobs", json=job, timeout=30)
    assert r.status_code == 202 and "unstable_lr" in {w["code"] for w in r.json()["warnings"]}
    page.goto(live_api + "/dashboard/jobs/" + r.json()["id"])
    page.wait_for_selector("#job-status .status.succeeded", timeout=120_000)
    page.wait_for_selector("#validity-warnings li[data-code=diverged]", timeout=20_000)
    assert "500 of 500 particles diverged" in page.inner_text("#validity-warnings")
    notes = page.eval_on_selector_all("#key-numbers dd .validity-note", "ds => ds.map(d => d.dataset.code)")
    assert "diverged" in notes and "unstable_lr" in notes
    page.screenshot(path=str(SCREENSHOTS / "07-job-warnings.png"), full_page=True)
    assert not page.js_errors, page.js_errors


def test_data_noise_job_page_shows_the_theory_of_the_noise_that_ran(page, live_api):
    """Finite sum 0.5*(w - c)^2 over 50 centred values of variance 3.1, minibatch SGD lr 0.1, B 5: the Gibbs law holds
    at the data-noise temperature lr Var(c)/(2B) = 0.031 (β 32.3), not at lr/(2B) (β = 2B/lr = 100). The page shows
    β theory from gibbs.beta_theory, the stationary law and its basin fractions, and the per-minimum noise and
    local law."""
    import numpy as np
    c = np.random.default_rng(0).normal(size=50)
    c = (c - c.mean()) * np.sqrt(3.1 / np.var(c - c.mean()))
    job = {"landscape": {"finite_sum": {"per_sample": "0.5*(w-c)**2", "variables": ["w"], "data": {"c": c.tolist()}}},
           "dynamics": {"method": "minibatch_sgd", "lr": 0.1, "batch_size": 5}, "particles": 1000, "steps": 600}
    r = httpx.post(live_api + "/v1/jobs", json=job, timeout=30)
    assert r.status_code == 202, r.text
    page.goto(live_api + "/dashboard/jobs/" + r.json()["id"])
    page.wait_for_selector("#job-status .status.succeeded", timeout=120_000)
    page.wait_for_selector("#numbers-card:not([hidden]) #key-numbers dt", timeout=20_000)
    result = httpx.get(live_api + f"/v1/jobs/{r.json()['id']}/result", timeout=30).json()
    assert result["beta"] == pytest.approx(100.0) and result["gibbs"]["beta_theory"] == pytest.approx(1 / 0.031)
    terms = page.eval_on_selector_all("#key-numbers dt", "ds => ds.map(d => d.textContent)")
    values = dict(zip(terms, page.eval_on_selector_all("#key-numbers dd", "ds => ds.map(d => d.textContent)")))
    beta_row = next(v for k, v in values.items() if k.startswith("β theory"))
    assert beta_row.startswith("32.26") and "data noise" in beta_row, beta_row      # not 2B/lr = 100.0
    assert "basin level" not in page.inner_text("#key-numbers")
    assert values["stationary law"].startswith(result["stationary"]["law"]), values
    assert values["noise"].startswith("minibatch"), values
    assert page.inner_text("#basin-theory-label") == f"theory ({result['stationary']['law']})"
    minima = page.eval_on_selector_all("#minima-table tbody td", "ts => ts.map(t => t.textContent)")
    assert minima[:2] == ["0", "0.0310"], minima                       # the noise temperature at the minimum
    law = result["local_laws"][0]
    assert minima[3] == f"{law['covariance_theory'][0][0]:.3g}" and float(minima[5]) == pytest.approx(
        law["max_abs_z"], rel=1e-2), minima
    page.wait_for_function("() => [...document.querySelectorAll('#plots img')].every(i => i.complete)", timeout=60_000)
    page.screenshot(path=str(SCREENSHOTS / "08-data-noise-job.png"), full_page=True)
    assert not page.js_errors, page.js_errors


def test_jobs_table_stays_inside_its_card_at_1300px(browser, live_api):
    """A long finite-sum landscape and a schedule in the list: at 1300 px the table fits its card (no overflow)."""
    job = {"landscape": {"finite_sum": {"per_sample": "(w**2 - 1)**2/4 + 0.05*w + 0.3*c*w*w*w/3 + 0.01*c*w",
                                        "variables": ["w"], "data": {"c": [-1.0, 0.0, 1.0]}}},
           "dynamics": {"method": "minibatch_sgd", "batch_size": 2,
                        "lr": {"schedule": "cosine", "lr_max": 0.05, "lr_min": 0.01, "period": 10}},
           "particles": 10, "steps": 20}
    r = httpx.post(live_api + "/v1/jobs", json=job, timeout=30)
    assert r.status_code == 202, r.text
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    try:
        page = context.new_page()
        page.goto(live_api + "/dashboard")
        page.wait_for_selector(f"#job-{r.json()['id']}", timeout=20_000)
        table, card = page.evaluate("() => { const t = document.getElementById('jobs-table');"
                                    " return [t.getBoundingClientRect().right, t.closest('.card').getBoundingClientRect().right]; }")
        assert table <= card, (table, card)
        page.screenshot(path=str(SCREENSHOTS / "09-jobs-1300px.png"), full_page=True)
    finally:
        context.close()


def test_splitting_exit_times_show_method_probability_cost_and_the_direct_estimate(page, live_api):
    """The README's metastable well (beta*dL ~ 18) by rare-event splitting: the page names the method and gives
    the transition probability, the cost and the direct particles' own estimate next to the splitting mean."""
    job = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}},
           "dynamics": {"method": "langevin", "lr": 0.1, "batch_size": 1}, "init": {"minimum": 1},
           "particles": 400, "steps": 2000, "seed": 42,
           "observe": {"histogram": {"bins": 40}, "exit_times": {"from": 1, "to": 0, "method": "splitting"}}}
    r = httpx.post(live_api + "/v1/jobs", json=job, timeout=30)
    assert r.status_code == 202, r.text
    page.goto(live_api + "/dashboard/jobs/" + r.json()["id"])
    page.wait_for_selector("#job-status .status.succeeded", timeout=120_000)
    page.wait_for_selector("#numbers-card:not([hidden]) #key-numbers dt", timeout=20_000)
    x = httpx.get(live_api + f"/v1/jobs/{r.json()['id']}/result", timeout=30).json()["exit_times"]
    terms = page.eval_on_selector_all("#key-numbers dt", "ds => ds.map(d => d.textContent)")
    values = dict(zip(terms, page.eval_on_selector_all("#key-numbers dd", "ds => ds.map(d => d.textContent)")))
    assert values["exit time method"].startswith("splitting"), values
    assert values["transition probability"].startswith(f"{x['transition_probability']:.3g}".replace("e-0", "e-"))
    assert values["splitting cost (particle-steps)"].startswith(f"{x['cost_particle_steps']:.3g}".replace("+0", "+"))
    assert values["mean exit time (steps)"].startswith(f"{x['mean_steps']:.4g}".replace("+0", "+"))
    direct = values["direct estimate (steps)"]
    assert f"{x['direct']['escaped']} of {x['direct']['particles']} escaped" in direct, direct
    # the splitting plot (AMS levels, reactive paths) is offered because the result has exit_times.levels
    page.wait_for_selector("#plots img#plot-splitting", timeout=20_000)
    page.wait_for_function("() => document.querySelector('#plot-splitting').complete", timeout=60_000)
    assert page.eval_on_selector("#plot-splitting", "i => i.naturalWidth") > 0
    row, card = (page.eval_on_selector(sel, "e => e.getBoundingClientRect().width")
                 for sel in ("#plot-splitting", "#plots"))
    assert row > 0.9 * card, (row, card)      # its two panels get a full row, not half of one
    page.locator("#plot-splitting").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "10-splitting-job.png"), full_page=True)
    assert not page.js_errors, page.js_errors
