"""docker-compose.yml and the Dockerfile, checked structurally (no Docker engine runs here)."""

import re
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
PORT = {"type": "string", "pattern": r"^\d+:\d+$"}
SERVICE = {
    "type": "object",
    "required": ["command"],
    "properties": {
        "image": {"type": "string"}, "build": {"type": ["string", "object"]},
        "command": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "ports": {"type": "array", "items": PORT},
        "volumes": {"type": "array", "items": {"type": "string", "pattern": r"^[^:]+:[^:]+(:ro)?$"}},
        "depends_on": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["condition"], "additionalProperties": False,
            "properties": {"condition": {"enum": ["service_started", "service_healthy"]}}}},
        "healthcheck": {"type": "object", "required": ["test"], "additionalProperties": False, "properties": {
            "test": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "interval": {"type": "string"}, "timeout": {"type": "string"}, "retries": {"type": "integer"}}},
        "deploy": {"type": "object", "required": ["resources"], "properties": {
            "replicas": {"type": "integer", "minimum": 1},
            "resources": {"type": "object", "required": ["limits"], "properties": {"limits": {
                "type": "object", "required": ["cpus", "memory"],
                "properties": {"cpus": {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
                               "memory": {"type": "string", "pattern": r"^\d+[KMG]i?B?$"}}}}}}},
        "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
    },
    "additionalProperties": False,
}
COMPOSE = {"type": "object", "required": ["services", "volumes"],
           "properties": {"name": {"type": "string"}, "services": {"type": "object",
                                                                   "additionalProperties": SERVICE},
                          "volumes": {"type": "object"}},
           "patternProperties": {"^x-": {}}, "additionalProperties": False}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_matches_schema_and_services():
    doc = compose()
    for name, svc in doc["services"].items():
        if "command" not in svc:           # third-party images keep their own entrypoint
            svc = {**svc, "command": ["(image default)"]}
        jsonschema.validate({**doc, "services": {name: svc}}, COMPOSE)
    assert {"sgdlab", "dask-scheduler", "dask-worker", "prometheus", "grafana"} <= set(doc["services"])
    for svc in doc["services"].values():
        assert "deploy" in svc, "every service has CPU and memory limits"


def test_api_uses_dask_and_a_volume_for_the_store():
    s = compose()["services"]
    api = s["sgdlab"]
    assert api["command"][:2] == ["sgdlab", "serve"] and "--data-dir" in api["command"]
    data_dir = api["command"][api["command"].index("--data-dir") + 1]
    assert any(v.split(":")[0] in compose()["volumes"] and v.split(":")[1] == data_dir for v in api["volumes"])
    sched = s["dask-scheduler"]["command"]
    assert sched[:2] == ["dask", "scheduler"]
    port = sched[sched.index("--port") + 1]
    assert api["environment"]["SGDLAB_DASK_ADDRESS"] == f"tcp://dask-scheduler:{port}"
    assert "8000:8000" in api["ports"]


def listening_ports(svc: dict) -> set[int]:
    """The container ports a service serves: --port/--dashboard-address in its command, else its port mappings."""
    command, ports = svc.get("command", []), set()
    for flag in ("--port", "--dashboard-address"):
        if flag in command:
            ports.add(int(command[command.index(flag) + 1].rsplit(":", 1)[-1]))
    return ports or {int(p.split(":")[1]) for p in svc.get("ports", [])}


def test_every_service_has_its_own_healthcheck_on_a_port_it_serves():
    services = compose()["services"]
    for name, svc in services.items():
        probe = " ".join(svc["healthcheck"]["test"])
        urls = re.findall(r"http://127\.0\.0\.1:(\d+)(/\S*?)['\"\s]", probe + " ")
        assert len(urls) == 1, (name, probe)
        port, path = int(urls[0][0]), urls[0][1]
        assert port in listening_ports(svc), (name, port, listening_ports(svc))
        assert path in {"/healthz", "/health", "/-/healthy", "/api/health"}, (name, path)
    # the image's own HEALTHCHECK probes the API's port, which only the API serves
    image_probe = re.search(r"^HEALTHCHECK .*http://127\.0\.0\.1:(\d+)/", (ROOT / "Dockerfile").read_text(), re.M)
    assert [n for n, svc in services.items() if int(image_probe.group(1)) in listening_ports(svc)] == ["sgdlab"]
    # a service waits for the health of what it needs
    assert services["sgdlab"]["depends_on"]["dask-scheduler"]["condition"] == "service_healthy"
    assert services["dask-worker"]["depends_on"]["dask-scheduler"]["condition"] == "service_healthy"


def test_workers_scale_and_share_the_code():
    s = compose()["services"]
    worker = s["dask-worker"]
    assert worker["command"][:3] == ["dask", "worker", "tcp://dask-scheduler:8786"]
    assert "container_name" not in worker and "ports" not in worker    # --scale needs both absent
    images = {s[n]["image"] for n in ("sgdlab", "dask-scheduler", "dask-worker")}
    assert len(images) == 1, "workers must unpickle sgdlab tasks: one image for API, scheduler and workers"


def test_mounted_files_exist_and_prometheus_scrapes_the_api():
    for svc in compose()["services"].values():
        for v in svc.get("volumes", []):
            src = v.split(":")[0]
            if src.startswith("./"):
                assert (ROOT / src).exists(), src
    prom = yaml.safe_load((ROOT / "deploy/prometheus.yml").read_text())
    targets = [t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    assert "sgdlab:8000" in targets


def test_dockerfile_copies_what_exists_and_serves():
    text = (ROOT / "Dockerfile").read_text()
    for src in re.findall(r"^COPY\s+(.+?)\s+\S+$", text, flags=re.M):
        for path in src.split():
            assert (ROOT / path).exists(), path
    assert re.search(r'^CMD \["sgdlab", "serve"\]', text, flags=re.M)
    assert '".[dask]"' in text
