"""Prometheus config and Grafana provisioning parse, and every metric they name is one the service exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"

# the metric names the service exports (the brief's list; checked against the live /metrics below)
EXPORTED_METRICS = {"sgdlab_jobs", "sgdlab_queue_depth", "sgdlab_job_duration_seconds",
                    "sgdlab_job_queue_wait_seconds", "sgdlab_particle_steps_total", "sgdlab_http_requests_total",
                    "sgdlab_http_request_duration_seconds"}
_METRIC = re.compile(r"sgdlab_\w+")
_SUFFIX = re.compile(r"_(bucket|sum|count)$")


def metric_names(text: str) -> set[str]:
    """sgdlab_* names in a text, with histogram sample suffixes stripped."""
    return {_SUFFIX.sub("", m) for m in _METRIC.findall(text)}


def grafana_dashboards() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))]


def test_prometheus_config_scrapes_sgdlab_metrics():
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "sgdlab")
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["sgdlab:8000"]
    assert metric_names((DEPLOY / "prometheus.yml").read_text()) <= EXPORTED_METRICS


def test_grafana_provisioning_parses_and_points_at_prometheus():
    ds = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/sgdlab.yml").read_text())
    prom = next(d for d in ds["datasources"] if d["type"] == "prometheus")
    assert prom["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/sgdlab.yml").read_text())["providers"]
    assert providers[0]["options"]["path"] == "/var/lib/grafana/dashboards"
    uids = {d["uid"] for d in ds["datasources"]}
    for dash in grafana_dashboards():
        for panel in dash["panels"]:
            assert panel["datasource"]["uid"] in uids
            for target in panel["targets"]:
                assert target["datasource"]["uid"] in uids


BUILTIN_DATASOURCES = {"prometheus", "loki", "graphite", "influxdb", "elasticsearch", "postgres", "mysql"}


def test_every_provisioned_datasource_has_its_plugin_installed():
    """A plugin data source (Infinity, for the tables endpoints) is provisioned only with its plugin installed."""
    ds = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/sgdlab.yml").read_text())
    compose = yaml.safe_load((DEPLOY.parent / "docker-compose.yml").read_text())
    installed = {p.strip().split()[0] for p in
                 compose["services"]["grafana"]["environment"].get("GF_INSTALL_PLUGINS", "").split(",") if p.strip()}
    plugins = {d["type"] for d in ds["datasources"]} - BUILTIN_DATASOURCES
    assert plugins == {"yesoreyeram-infinity-datasource"}
    assert plugins <= installed, plugins - installed
    tables = next(d for d in ds["datasources"] if d["type"] == "yesoreyeram-infinity-datasource")
    assert tables["url"] == "http://sgdlab:8000" and "sgdlab" in compose["services"]


def test_grafana_dashboard_has_the_required_panels():
    (dash,) = grafana_dashboards()
    exprs = {p["title"]: " ".join(t["expr"] for t in p["targets"]) for p in dash["panels"]}
    assert any("sgdlab_queue_depth" in e for e in exprs.values())
    assert any("sgdlab_jobs" in e and "status" in e for e in exprs.values())
    assert any("histogram_quantile" in e and "sgdlab_job_duration_seconds_bucket" in e for e in exprs.values())
    assert any("rate(sgdlab_particle_steps_total" in e for e in exprs.values())
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))


def test_every_named_metric_is_exported():
    named = metric_names((DEPLOY / "prometheus.yml").read_text())
    for dash in grafana_dashboards():
        named |= metric_names(json.dumps(dash))
    assert named and named <= EXPORTED_METRICS, named - EXPORTED_METRICS


def exposed_metrics(text: str) -> set[str]:
    """Metric family and sample names in Prometheus text format (TYPE lines and sample lines)."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(_SUFFIX.sub("", re.split(r"[{\s]", line, maxsplit=1)[0]))
    return names


def test_exported_list_matches_the_live_metrics(live_api):
    text = httpx.get(live_api + "/metrics", timeout=10).text
    missing = EXPORTED_METRICS - exposed_metrics(text)
    assert not missing, f"not in /metrics: {missing}"
