"""Production pods on a real API server: what issue 15's rules render is accepted, the internal
auth Secret is created once and never written again, and a spec change under
``podRestarts: Supervised`` waits for its approval, then rolls one pod at a time.

Passes run as weavefn's ServiceAccount (infra/k8s/rbac.yaml): creating the Secret needs its
grant. The test is the kubelet between passes, and each pod's Weaviate (tests/e2e/real_cluster).
"""

from __future__ import annotations

import base64
from typing import Any

from weavefn.kube.port import ObjectRef

from tests.e2e.real_cluster import NAME, Scenario
from tests.support.kubelet import ready

Obj = dict[str, Any]
VERSION = "1.32.5"
SECRET = f"{NAME}-cluster-auth"
PRODUCTION = {
    "resources": {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "1500m", "memory": "2Gi"},
    },
    "vmMaxMapCount": {"setBy": "InitContainer"},
    "podRestarts": "Supervised",
}


def manifest(namespace: str, *, annotations: dict[str, str] | None = None, **spec: Any) -> Obj:
    return {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": NAME, "namespace": namespace, "annotations": annotations or {}},
        "spec": {
            "version": VERSION,
            "replicas": 3,
            "storage": {"size": "1Gi"},
            "replication": {"factor": 2},
            "autoScaling": {"enabled": False},
            **PRODUCTION,
            **spec,
        },
    }


def _secret(scenario: Scenario) -> Obj:
    found = scenario.admin.get(ObjectRef("v1", "Secret", scenario.namespace, SECRET))
    assert found is not None, f"Secret {SECRET}"
    return found


def _condition(scenario: Scenario, kind: str) -> Obj:
    conditions = scenario.status().get("conditions") or []
    return next(c for c in conditions if c["type"] == kind)


def _env(pod: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}


class Watch:
    """What the pods look like after every pass and kubelet round of a rollout."""

    def __init__(self, scenario: Scenario, old: dict[str, str]) -> None:
        self.scenario = scenario
        self.old = old
        self.most_down = 0
        self.order: list[str] = []

    def look(self) -> None:
        pods = self.scenario.kubelet.pods(self.scenario.namespace)
        live = {p["metadata"]["name"]: p for p in pods}
        down = [
            name
            for name in self.old
            if name not in live
            or live[name]["metadata"].get("deletionTimestamp")
            or not ready(live[name])
        ]
        self.most_down = max(self.most_down, len(down))
        for name, pod in live.items():
            restarted = pod["metadata"]["uid"] != self.old.get(name)
            if restarted and ready(pod) and name not in self.order:
                self.order.append(name)


def test_production_pods_a_secret_made_once_and_a_supervised_rollout(scenario: Scenario) -> None:
    ns = scenario.namespace
    scenario.apply(manifest(ns))
    scenario.passes_until(lambda: scenario.running(3, VERSION), what="3/3 Running")

    # the production rules, as the real API server stored them
    secret = _secret(scenario)
    assert secret["immutable"] is True
    assert sorted(secret["data"]) == ["password", "username"]
    assert len(base64.b64decode(secret["data"]["password"])) >= 32
    first = (secret["metadata"]["uid"], secret["metadata"]["resourceVersion"])
    pods = scenario.pods()
    for pod in pods.values():
        env = _env(pod)
        for var, key in (("USERNAME", "username"), ("PASSWORD", "password")):
            ref = env[f"CLUSTER_BASIC_AUTH_{var}"]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": SECRET, "key": key}
        assert env["GOMAXPROCS"]["valueFrom"]["resourceFieldRef"]["resource"] == "limits.cpu"
        assert "ASYNC_REPLICATION_DISABLED" not in env
        init = pod["spec"]["initContainers"][0]
        assert init["securityContext"]["privileged"] is True
        spread = pod["spec"]["topologySpreadConstraints"][0]
        assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert _condition(scenario, "InternalAuthCurrent")["status"] == "True"
    old = {name: pod["metadata"]["uid"] for name, pod in pods.items()}

    # a spec change that restarts pods waits for its approval
    changed = {"env": [{"name": "QUERY_MAXIMUM_RESULTS", "value": "20000"}]}
    scenario.apply(manifest(ns, **changed))
    for _ in range(3):
        assert scenario.reconcile().ok
    waiting = _condition(scenario, "PodTemplateCurrent")
    assert (waiting["status"], waiting["reason"]) == ("False", "AwaitingApproval")
    revision = scenario.status()["podTemplate"]["hash"]
    assert f"weaviate.io/approve-restart={revision}" in waiting["message"]
    assert {n: p["metadata"]["uid"] for n, p in scenario.pods().items()} == old, "no restart"

    # approved: one pod at a time, the top ordinal first, each Ready before the next
    watch = Watch(scenario, old)
    kubelet_round = scenario.act

    def act() -> list[Obj]:
        pods = kubelet_round()
        watch.look()
        return pods

    scenario.act = act  # type: ignore[method-assign]  # look after every kubelet round too
    approval = {"weaviate.io/approve-restart": revision}
    scenario.apply(manifest(ns, annotations=approval, **changed))

    def rolled() -> bool:
        last = scenario.status().get("lastOperation") or {}
        return last.get("kind") == "PodTemplateRollout" and last.get("phase") == "Succeeded"

    scenario.passes_until(rolled, what="the approved rollout", passes=60, interval=0.2)
    assert watch.order == [f"{NAME}-2", f"{NAME}-1", f"{NAME}-0"]
    assert watch.most_down == 1, "never more than one pod down"
    now = scenario.pods()
    assert not {p["metadata"]["uid"] for p in now.values()} & set(old.values())
    assert all(_env(p)["QUERY_MAXIMUM_RESULTS"]["value"] == "20000" for p in now.values())
    assert _condition(scenario, "PodTemplateCurrent")["status"] == "True"

    # the Secret was never written again, through every pass
    secret = _secret(scenario)
    assert (secret["metadata"]["uid"], secret["metadata"]["resourceVersion"]) == first
