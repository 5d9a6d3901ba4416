"""Pod-template changes on the local cluster: held until an operation rolls them, one pod at a
time; a cluster made by an older weavefn restarts nothing by itself; internal auth switches
only on an annotated rollout; the upgrade and a template change never fight."""

from __future__ import annotations

import base64
import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from weavefn.kube.port import ObjectRef
from weavefn.local.kube import LocalKube, ManualClock, Verb
from weavefn.local.weaviate.connector import LocalWeaviateConnector, edit_sim
from weavefn.model.resource import parse_cluster
from weavefn.render import PodAuth, default_voters, render_statefulset
from weavefn.service import Service

NS, NAME = "weaviate", "search"
KEY = f"{NS}/{NAME}"
STS = ObjectRef("apps/v1", "StatefulSet", NS, NAME)
SECRET = ObjectRef("v1", "Secret", NS, f"{NAME}-cluster-auth")
RESTART = 60.0
VERSION = "1.27.3"


def manifest(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "version": VERSION,
        "replicas": 3,
        "storage": {"size": "10Gi"},
        "replication": {"factor": 2},
        "resources": {"limits": {"cpu": "2", "memory": "4Gi"}},
    }
    base.update(spec)
    return {
        "apiVersion": "weaviate.io/v1",
        "kind": "WeaviateCluster",
        "metadata": {"name": NAME, "namespace": NS},
        "spec": base,
    }


@dataclass
class Run:
    kube: LocalKube
    clock: ManualClock
    restarts: list[int] = field(default_factory=list)
    """How many pods each pass restarted (a new uid)."""

    @property
    def service(self) -> Service:
        now: Callable[[], datetime] = lambda: datetime.fromtimestamp(self.clock(), UTC)  # noqa: E731
        return Service(self.kube, clock=now, workers=1, weaviate=LocalWeaviateConnector(self.kube))

    def uids(self) -> dict[str, str]:
        pods = self.kube.list_pods(NS, {"app.kubernetes.io/instance": NAME})
        return {p["metadata"]["name"]: p["metadata"]["uid"] for p in pods}

    def invoke(self, advance: float = RESTART) -> dict[str, Any]:
        before = self.uids()
        self.service.reconcile(name=NAME, namespace=NS)
        self.clock.advance(advance)
        after = self.uids()
        self.restarts.append(sum(1 for name, uid in after.items() if before.get(name) != uid))
        return self.status()

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = self.kube.get_cluster(NS, NAME).get("status", {})
        return found

    def condition(self, kind: str) -> dict[str, Any]:
        return next(c for c in self.status()["conditions"] if c["type"] == kind)

    def until_idle(self, *, limit: int = 40) -> dict[str, Any]:
        began = False
        for _ in range(limit):
            status = self.invoke()
            began = began or "operation" in status
            if began and "operation" not in status:
                return status
        raise AssertionError(f"no end after {limit} passes: {self.status().get('operation')}")

    def annotate(self, **annotations: str) -> None:
        raw = self.kube.get_cluster(NS, NAME)
        raw["metadata"].setdefault("annotations", {}).update(annotations)
        self.kube.apply_cluster(raw)

    def edit(self, **spec: Any) -> None:
        raw = self.kube.get_cluster(NS, NAME)
        raw["spec"].update(spec)
        self.kube.apply_cluster(raw)

    def env(self) -> dict[str, Any]:
        container = self.kube.get(STS)["spec"]["template"]["spec"]["containers"][0]
        return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def new_cluster(clock: ManualClock, **spec: Any) -> Run:
    run = Run(LocalKube(clock=clock, ready_delay=RESTART), clock)
    run.kube.apply_cluster(manifest(**spec))
    for _ in range(3):
        run.invoke(RESTART + 1)
    assert run.status()["phase"] == "Running"
    run.restarts.clear()
    return run


def old_weavefn_cluster(clock: ManualClock) -> Run:
    """A running cluster as an earlier weavefn left it: its StatefulSet rendered the old way
    (ASYNC_REPLICATION_DISABLED=true, no GOMAXPROCS, no internal auth, no zone spread, no
    scrape annotations) and a status without podTemplate or clusterAuth."""
    kube = LocalKube(clock=clock, ready_delay=RESTART)
    kube.apply_cluster(manifest())
    cluster = parse_cluster(kube.get_cluster(NS, NAME))
    voters = default_voters(NAME, 3, None)
    sts = render_statefulset(cluster, voters=voters, auth=PodAuth(None))
    template = sts["spec"]["template"]
    template["metadata"]["annotations"] = {}
    pod = template["spec"]
    pod.pop("topologySpreadConstraints")
    container = pod["containers"][0]
    container["env"] = [e for e in container["env"] if e["name"] != "GOMAXPROCS"]
    container["env"].insert(0, {"name": "ASYNC_REPLICATION_DISABLED", "value": "true"})
    kube.apply(sts, field_manager="weavefn-scaler", force=True)
    run = Run(kube, clock)
    clock.advance(RESTART + 1)
    raw = kube.get_cluster(NS, NAME)
    raw["status"] = {
        "phase": "Running",
        "currentVersion": VERSION,
        "voters": voters,
        "observedGeneration": raw["metadata"]["generation"],
    }
    kube.replace_cluster_status(raw)
    return run


def test_a_cluster_made_by_an_older_weavefn_restarts_nothing_until_approved(
    clock: ManualClock,
) -> None:
    run = old_weavefn_cluster(clock)
    pods = run.uids()

    for _ in range(4):
        status = run.invoke()

    assert run.uids() == pods, "upgrading weavefn restarted no pod"
    assert "operation" not in status
    assert run.env()["ASYNC_REPLICATION_DISABLED"] == "true", "the live template is held"
    pending = run.condition("PodTemplateCurrent")
    assert (pending["status"], pending["reason"]) == ("False", "RestartPending")
    for change in (
        "env ASYNC_REPLICATION_DISABLED removed",
        "env GOMAXPROCS added",
        "topologySpreadConstraints",
    ):
        assert change in pending["message"]
    auth = run.condition("InternalAuthCurrent")
    assert (auth["status"], auth["reason"]) == ("False", "RolloutRequired")
    assert "weaviate.io/cluster-auth-rollout=search-cluster-auth" in auth["message"]
    assert run.kube.get(SECRET) is None, "no Secret before the switch is accepted"
    reasons = [e["reason"] for e in run.kube.list_events(NS)]
    assert reasons.count("PodRestartPending") == 1, "said once, not every pass"

    # The approval names the revision the condition quotes.
    template = status["podTemplate"]["hash"]
    run.annotate(**{"weaviate.io/approve-restart": template})
    final = run.until_idle()

    assert set(run.uids()) == set(pods) and not set(run.uids().values()) & set(pods.values())
    assert max(run.restarts) == 1, "one pod at a time"
    assert final["lastOperation"]["kind"] == "PodTemplateRollout"
    assert final["lastOperation"]["phase"] == "Succeeded"
    assert final["lastOperation"]["details"]["reason"] == "Approved"
    env = run.env()
    assert "ASYNC_REPLICATION_DISABLED" not in env and "GOMAXPROCS" in env
    assert "CLUSTER_BASIC_AUTH_PASSWORD" not in env, "auth switches only on its own annotation"
    assert run.condition("PodTemplateCurrent")["status"] == "True"

    # The internal auth switch, accepted for the Secret the condition names.
    restarted = run.uids()
    run.restarts.clear()
    run.annotate(**{"weaviate.io/cluster-auth-rollout": "search-cluster-auth"})
    final = run.until_idle()

    secret = run.kube.get(SECRET)
    assert secret is not None and secret["immutable"] is True
    assert max(run.restarts) == 1
    assert not set(run.uids().values()) & set(restarted.values()), "every pod restarted"
    assert final["clusterAuth"]["secret"] == "search-cluster-auth"
    assert final["lastOperation"]["details"]["auth"] == {"to": "search-cluster-auth"}
    assert run.env()["CLUSTER_BASIC_AUTH_PASSWORD"] == {
        "secretKeyRef": {"name": "search-cluster-auth", "key": "password"}
    }
    assert run.condition("InternalAuthCurrent")["status"] == "True"


def test_a_new_cluster_gets_its_secret_once_and_never_shows_it(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="weavefn")
    run = new_cluster(clock)
    secret = run.kube.get(SECRET)
    assert secret is not None
    password = base64.b64decode(secret["data"]["password"]).decode()
    assert len(password) >= 40
    assert run.env()["CLUSTER_BASIC_AUTH_USERNAME"] == {
        "secretKeyRef": {"name": "search-cluster-auth", "key": "username"}
    }
    assert run.status()["clusterAuth"] == {
        "secret": "search-cluster-auth",
        "created": "search-cluster-auth",
    }

    run.kube.reset_calls()
    for _ in range(3):
        run.invoke()
    assert not [c for c in run.kube.calls if c.verb is Verb.CREATE and c.kind == "Secret"]
    assert run.kube.get(SECRET)["data"] == secret["data"], "never rewritten"

    # Even after someone deletes it, no new credentials are generated behind the pods' back.
    run.kube.delete(SECRET)
    for _ in range(2):
        run.invoke()
    assert run.kube.get(SECRET) is None

    seen = [repr(run.status()), caplog.text] + [repr(e) for e in run.kube.list_events(NS)]
    assert not any(password in text for text in seen)


def test_a_spec_change_rolls_one_pod_at_a_time_held_while_a_node_is_unhealthy(
    clock: ManualClock,
) -> None:
    run = new_cluster(clock)
    pods = run.uids()
    run.edit(resources={"limits": {"cpu": "2", "memory": "6Gi"}})

    status = run.invoke()
    assert status["operation"]["kind"] == "PodTemplateRollout"
    assert status["operation"]["details"]["reason"] == "SpecChanged"
    assert "env GOMEMLIMIT changed" in status["operation"]["details"]["changes"]
    status = run.invoke()
    assert status["operation"]["details"]["partition"] == 1, "pod 2 proven, pod 1 next"

    with edit_sim(run.kube, KEY) as sim:
        sim.set_node_healthy(f"{NAME}-0", False)
    for _ in range(12):  # past the 10-minute step timeout
        status = run.invoke()
    assert status["operation"]["phase"] == "Held"
    assert status["operation"]["details"]["partition"] == 1
    held = run.condition("PodTemplateCurrent")
    assert (held["status"], held["reason"]) == ("False", "Held")
    assert f"{NAME}-1" in held["message"] and "UNHEALTHY" in held["message"]
    assert run.uids()[f"{NAME}-0"] == pods[f"{NAME}-0"], "nothing else restarted"
    warnings = [e for e in run.kube.list_events(NS) if e["reason"] == "PodTemplateRolloutHeld"]
    assert len(warnings) == 1

    with edit_sim(run.kube, KEY) as sim:
        sim.set_node_healthy(f"{NAME}-0", True)
    final = run.until_idle()

    assert final["lastOperation"]["phase"] == "Succeeded"
    assert max(run.restarts) == 1
    assert not set(run.uids().values()) & set(pods.values())
    assert run.kube.get(STS)["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 0
    run.kube.reset_calls()
    run.invoke()
    assert run.kube.writes == 0, "converged"


def test_supervised_restarts_wait_for_the_annotation(clock: ManualClock) -> None:
    run = new_cluster(clock, podRestarts="Supervised")
    pods = run.uids()
    run.edit(resources={"limits": {"cpu": "3", "memory": "4Gi"}})

    for _ in range(3):
        status = run.invoke()
    assert run.uids() == pods
    waiting = run.condition("PodTemplateCurrent")
    assert waiting["reason"] == "AwaitingApproval"
    assert f"weaviate.io/approve-restart={status['podTemplate']['hash']}" in waiting["message"]

    run.annotate(**{"weaviate.io/approve-restart": "0000000000"})  # another revision
    run.invoke()
    assert run.uids() == pods

    run.annotate(**{"weaviate.io/approve-restart": status["podTemplate"]["hash"]})
    final = run.until_idle()
    assert final["lastOperation"]["details"]["reason"] == "Approved"
    assert not set(run.uids().values()) & set(pods.values())


def test_a_hand_edit_of_the_template_is_repaired_by_a_rollout(clock: ManualClock) -> None:
    run = new_cluster(clock)
    edited = copy.deepcopy(run.kube.get(STS))
    run.kube.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": NAME, "namespace": NS},
            "spec": {"template": {"spec": {"terminationGracePeriodSeconds": 5}}},
        },
        field_manager="kubectl",
        force=True,
    )
    final = run.until_idle()

    assert final["lastOperation"]["details"]["reason"] == "DriftRepaired"
    template = run.kube.get(STS)["spec"]["template"]["spec"]
    assert template["terminationGracePeriodSeconds"] == 600
    assert edited["spec"]["replicas"] == run.kube.get(STS)["spec"]["replicas"]
    run.kube.reset_calls()
    run.invoke()
    assert run.kube.writes == 0


def test_an_upgrade_and_a_template_change_take_turns(clock: ManualClock) -> None:
    # backups to S3: Weaviate refuses the filesystem backend on more than one node
    s3 = {"type": "aws", "region": "us-east-1", "aws": {"backup": {"bucket": "backups"}}}
    run = new_cluster(clock, version="1.26.5", cloudProvider=s3)
    run.edit(version="1.27.3")
    for _ in range(20):
        if (run.invoke().get("operation") or {}).get("phase") == "RollingOut":
            break
    else:
        raise AssertionError(f"the upgrade never rolled out: {run.status().get('lastOperation')}")
    run.edit(resources={"limits": {"cpu": "2", "memory": "8Gi"}})
    status = run.invoke()

    assert status["operation"]["kind"] == "Upgrade", "the upgrade keeps the pods"
    assert run.env()["GOMEMLIMIT"] == "3686MiB", "its template, not the new spec's"
    waiting = run.condition("PodTemplateCurrent")
    assert waiting["reason"] == "WaitingForOperation"

    for _ in range(40):
        status = run.invoke()
        operation = status.get("operation") or {}
        if operation.get("kind") == "PodTemplateRollout":
            break
    assert status["lastOperation"]["kind"] == "Upgrade"
    assert status["lastOperation"]["phase"] == "Succeeded"
    assert operation["details"]["reason"] == "SpecChanged"

    # A new version while the template rolls: the upgrade waits for it, and says so.
    run.edit(version="1.28.4")
    status = run.invoke()
    assert status["operation"]["kind"] == "PodTemplateRollout"
    upgrade = run.condition("UpgradeSucceeded")
    assert upgrade["reason"] == "WaitingForOperation"
    final = run.until_idle()
    assert final["lastOperation"]["kind"] == "PodTemplateRollout"
    assert run.env()["GOMEMLIMIT"] == "7372MiB"
    assert max(run.restarts) == 1, "never two pods at once, whoever rolls them"
