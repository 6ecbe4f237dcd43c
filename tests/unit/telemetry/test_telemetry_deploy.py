"""The tracing and metrics deployment files agree with each other and with the services' configuration."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[3]


def documents(path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((ROOT / path).read_text(encoding="utf-8")) if d]


def services_of(path: str) -> dict[str, set[int]]:
    return {
        f"{d['metadata']['name']}.{d['metadata']['namespace']}": {p["port"] for p in d["spec"]["ports"]}
        for d in documents(path)
        if d["kind"] == "Service"
    }


def test_the_collector_configmap_is_the_collector_config():
    (config_map,) = [d for d in documents("deploy/jaeger/observability.yaml") if d["kind"] == "ConfigMap"]
    embedded = yaml.safe_load(config_map["data"]["collector.yaml"])
    assert embedded == yaml.safe_load((ROOT / "deploy/otel/collector.yaml").read_text(encoding="utf-8"))


def test_services_export_to_the_collector_and_the_collector_to_jaeger():
    services = services_of("deploy/jaeger/observability.yaml")
    (common,) = [d for d in documents("deploy/k8s/oms.yaml") if d["kind"] == "ConfigMap"]
    collector = yaml.safe_load((ROOT / "deploy/otel/collector.yaml").read_text(encoding="utf-8"))

    otlp = urlsplit(common["data"]["OMS_OTLP_ENDPOINT"])
    assert otlp.port in services[otlp.hostname]
    host, _, port = collector["exporters"]["otlp/jaeger"]["endpoint"].rpartition(":")
    assert int(port) in services[host]
    assert 16686 in services["jaeger-query.observability"]


def test_tail_sampling_keeps_errors_and_slow_traces():
    collector = yaml.safe_load((ROOT / "deploy/otel/collector.yaml").read_text(encoding="utf-8"))
    policies = {p["type"]: p for p in collector["processors"]["tail_sampling"]["policies"]}

    assert policies["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    assert policies["latency"]["latency"]["threshold_ms"] > 0
    assert "tail_sampling" in collector["service"]["pipelines"]["traces"]["processors"]


def test_the_scrape_job_gives_the_service_label_the_dashboards_group_by():
    (job,) = yaml.safe_load((ROOT / "deploy/grafana/prometheus-scrape.yaml").read_text(encoding="utf-8"))[
        "scrape_configs"
    ]
    targets = {r.get("target_label") for r in job["relabel_configs"]}
    assert "service" in targets
    sre = (ROOT / "deploy/grafana/oms-sre.json").read_text(encoding="utf-8")
    assert 'service=~\\"$service\\"' in sre
    assert json.loads(sre)["templating"]["list"][1]["name"] == "service"
