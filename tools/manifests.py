"""Renders the Kubernetes manifests in deploy/k8s from one description of the services (so they never drift).

python -m tools.manifests           write deploy/k8s/oms.yaml
python -m tools.manifests --check   fail if deploy/k8s/oms.yaml is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "deploy" / "k8s" / "oms.yaml"
NAMESPACE = "oms"
IMAGE = "ghcr.io/oms-suite/oms:0.1.0"
GRPC_PORT = 50051
METRICS_PORT = 9464
SERVICES = {  # name: (replicas, cpu request, memory request)
    "customers": (2, "250m", "256Mi"),
    "pricing": (2, "250m", "256Mi"),
    "inventory": (3, "500m", "384Mi"),
    "payments": (2, "250m", "256Mi"),
    "orders": (3, "500m", "384Mi"),
    "saga": (3, "500m", "384Mi"),
    "refunds": (2, "250m", "256Mi"),
    "audit": (2, "250m", "256Mi"),
}


def labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "oms"}


def config_map() -> dict[str, Any]:
    data = {
        "OMS_GRPC_ADDRESS": f"0.0.0.0:{GRPC_PORT}",
        "OMS_METRICS_ADDRESS": f"0.0.0.0:{METRICS_PORT}",
        "OMS_OTLP_ENDPOINT": "http://otel-collector.observability:4317",
        # Keep every trace here; the collector's tail sampling keeps errors and slow orders and thins the rest.
        "OMS_TRACE_SAMPLE_RATIO": "1.0",
        "OMS_STATE_DIR": "/tmp/oms",
    }
    for service in SERVICES:
        data[f"OMS_{service.upper()}_ADDRESS"] = f"dns:///{service}.{NAMESPACE}.svc.cluster.local:{GRPC_PORT}"
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "oms-common", "namespace": NAMESPACE},
        "data": data,
    }


def deployment(service: str, replicas: int, cpu: str, memory: str) -> dict[str, Any]:
    probe = {"grpc": {"port": GRPC_PORT}, "periodSeconds": 10, "failureThreshold": 3}
    container = {
        "name": service,
        "image": IMAGE,
        "args": ["python", "-m", f"services.{service}"],
        "ports": [
            {"name": "grpc", "containerPort": GRPC_PORT},
            {"name": "metrics", "containerPort": METRICS_PORT},
        ],
        "envFrom": [{"configMapRef": {"name": "oms-common"}}],
        "env": [
            {"name": "OMS_SERVICE_NAME", "value": service},
            # CloudNativePG writes the connection URI of each service database into <cluster>-app.
            {
                "name": "OMS_DATABASE_URL",
                "valueFrom": {"secretKeyRef": {"name": f"oms-{service}-db-app", "key": "uri"}},
            },
            {"name": "OMS_REDIS_URL", "valueFrom": {"secretKeyRef": {"name": "oms-redis", "key": "url"}}},
        ],
        "readinessProbe": probe,
        "livenessProbe": {**probe, "initialDelaySeconds": 20},
        "startupProbe": {**probe, "failureThreshold": 30},
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory}},
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "state", "mountPath": "/tmp/oms"}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": service, "namespace": NAMESPACE, "labels": labels(service)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels(service)},
            "template": {
                "metadata": {
                    "labels": labels(service),
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": str(METRICS_PORT)},
                },
                "spec": {
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {"runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001},
                    "containers": [container],
                    "volumes": [{"name": "state", "emptyDir": {}}],
                },
            },
        },
    }


def headless_service(service: str) -> dict[str, Any]:
    """Headless, so clients resolve every pod and balance round-robin themselves (gRPC keeps connections)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": service, "namespace": NAMESPACE, "labels": labels(service)},
        "spec": {
            "clusterIP": "None",
            "selector": labels(service),
            "ports": [
                {"name": "grpc", "port": GRPC_PORT, "targetPort": "grpc", "appProtocol": "grpc"},
                {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics"},
            ],
        },
    }


def disruption_budget(service: str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": service, "namespace": NAMESPACE},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": labels(service)}},
    }


def autoscaler(service: str, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": service, "namespace": NAMESPACE},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service},
            "minReplicas": replicas,
            "maxReplicas": replicas * 4,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    }


def documents() -> list[dict[str, Any]]:
    rendered: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        config_map(),
    ]
    for service, (replicas, cpu, memory) in SERVICES.items():
        rendered += [
            deployment(service, replicas, cpu, memory),
            headless_service(service),
            disruption_budget(service),
            autoscaler(service, replicas),
        ]
    return rendered


def render() -> str:
    header = "# Rendered by `python -m tools.manifests`; edit tools/manifests.py, not this file.\n"
    return header + yaml.safe_dump_all(documents(), sort_keys=False, allow_unicode=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    options = parser.parse_args()
    if options.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != render():
            print("deploy/k8s/oms.yaml is stale; run `python -m tools.manifests`", file=sys.stderr)
            return 1
        print("manifests are fresh")
        return 0
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(documents())} objects)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
