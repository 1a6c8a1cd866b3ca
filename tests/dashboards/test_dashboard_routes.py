"""The dashboard router alone (no API behind it): pages render, static files are served, nothing from a CDN."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sgdlab.dashboard.routes import router


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


@pytest.mark.parametrize("path,page", [("/", "jobs"), ("/dashboard", "jobs"), ("/dashboard/markov", "markov"),
                                       ("/dashboard/jobs/abc_123", "job")])
def test_pages_render(client, path, page):
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert f'data-page="{page}"' in r.text
    for src in re.findall(r'(?:src|href)="([^"]+)"', r.text):
        assert src.startswith(("/", "#")), f"external asset {src}"  # no CDN


def test_job_page_carries_the_id(client):
    assert 'data-job-id="abc_123"' in client.get("/dashboard/jobs/abc_123").text


def test_job_page_refuses_odd_ids(client):
    assert client.get("/dashboard/jobs/<script>").status_code == 404


def test_auth_box_follows_api_keys(client, monkeypatch):
    assert 'data-auth="open"' in client.get("/dashboard").text
    monkeypatch.setenv("SGDLAB_API_KEYS", "k1,k2")
    assert 'data-auth="required"' in client.get("/dashboard").text


def test_static_files_served_with_types(client):
    for name, media in [("dashboard.js", "text/javascript"), ("api.js", "text/javascript"),
                        ("svgchart.js", "text/javascript"), ("dashboard.css", "text/css")]:
        r = client.get("/dashboard/static/" + name)
        assert r.status_code == 200 and r.headers["content-type"].startswith(media), name
        assert "http://" not in r.text and "https://" not in r.text or name == "svgchart.js"


def test_static_route_refuses_paths_and_unknown_files(client):
    for name in ["..%2Froutes.py", "routes.py", "nope.js", "%2Fetc%2Fpasswd"]:
        assert client.get("/dashboard/static/" + name).status_code == 404


def test_every_static_file_is_referenced_by_the_layout():
    layout = resources.files("sgdlab.dashboard").joinpath("templates", "layout.html").read_text()
    static = [p.name for p in resources.files("sgdlab.dashboard").joinpath("static").iterdir()]
    assert static and all(f"/dashboard/static/{name}" in layout for name in static)


def test_job_page_lists_the_plots_and_tables_the_service_has(client):
    import html
    import json

    from sgdlab.plots import PLOT_BLOCKS
    from sgdlab.tables import TABLE_NAMES
    text = client.get("/dashboard/jobs/abc_123").text
    plots = json.loads(html.unescape(re.search(r'data-plots="([^"]*)"', text).group(1)))
    tables = json.loads(html.unescape(re.search(r'data-tables="([^"]*)"', text).group(1)))
    assert plots == PLOT_BLOCKS and tables == list(TABLE_NAMES)
    assert {"kl_to_stationary", "stationary_vs_gibbs"} <= set(plots)
