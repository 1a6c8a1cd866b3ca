"""The dashboard in headless Chromium on the live server: submit a small job through the form, watch it finish,
check that every plot image loads, that a 422 shows inline, and that the Markov page draws its charts."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
README_SHOT = REPO / "docs" / "dashboard.png"


def ensure_chromium() -> str | None:
    """Install Debian's chromium when it is missing and we may (root with apt-get); the reason it failed, or None."""
    if os.path.exists(CHROMIUM):
        return None
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return f"{CHROMIUM} is missing and this user cannot apt-get install chromium"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, check=True, capture_output=True,
                       timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"could not install Debian's chromium: {exc}"
    return None if os.path.exists(CHROMIUM) else f"apt-get installed chromium but {CHROMIUM} is missing"


@pytest.fixture(scope="module")
def browser():
    reason = ensure_chromium()
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
    page.check("input[name='observe.exit_times']")
    page.check("input[name='observe.arrival']")
    page.screenshot(path=str(SCREENSHOTS / "01-form.png"))
    page.click("#submit-job")
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
    assert "β fitted" in numbers and "mean exit time" in numbers
    assert page.inner_text("#basin-table tbody").count("\n") >= 1  # two basins
    page.screenshot(path=str(SCREENSHOTS / "02-job.png"), full_page=True)
    if os.environ.get("SGDLAB_UPDATE_README_SCREENSHOT"):    # the committed README picture, only on request
        page.screenshot(path=str(README_SHOT), full_page=True)
    page.goto(live_api + "/dashboard")
    page.wait_for_selector("#jobs-table .status.succeeded", timeout=20_000)
    page.screenshot(path=str(SCREENSHOTS / "03-jobs.png"), full_page=True)
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
    page.screenshot(path=str(SCREENSHOTS / "05-markov.png"), full_page=True)
    assert not page.js_errors, page.js_errors


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
    page.screenshot(path=str(SCREENSHOTS / "06-job-warnings.png"), full_page=True)
    assert not page.js_errors, page.js_errors
