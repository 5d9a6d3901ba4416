"""Follow-ups on the local cluster: a pass with work in flight says when to look again, records it
in status, queues one delayed message, and a late or superseded message does nothing."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from weavefn.errors import TerminalError
from weavefn.lifecycle.upgrade.start import start_upgrade
from weavefn.lifecycle.upgrade.step import Upgrader
from weavefn.local.followups import LocalFollowUps
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.kube.pods import PodFailure
from weavefn.local.metrics import LoadModel, local_registry
from weavefn.local.weaviate.connector import LocalWeaviateConnector
from weavefn.queue.memory import MemoryQueue
from weavefn.reconcile.followup import stamp
from weavefn.service import Service
from weavefn.triggers.model import ClusterTrigger, UpgradeRequest

from tests.functional.conftest import example

NS, NAME = "weaviate", "production"
KEY = f"{NS}/{NAME}"


@dataclass
class Rig:
    kube: LocalKube
    clock: ManualClock
    queue: Any
    service: Service = field(init=False)

    def __post_init__(self) -> None:
        self.service = Service(
            self.kube,
            clock=self.now,
            metrics=local_registry(self.kube.extras),
            workers=1,
            weaviate=LocalWeaviateConnector(self.kube),
            follow_ups=self.queue,
        )

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = self.kube.get_cluster(NS, NAME).get("status", {})
        return found

    def deliver(self, due: datetime) -> str:
        trigger = ClusterTrigger(KEY, "follow-up-test", "test", due=due)
        outcome = self.service.handle(trigger, deadline=time.monotonic() + 30)
        assert outcome.ok, outcome
        return outcome.clusters[KEY]


def rig_with(queue: Any, clock: ManualClock, *, ready_delay: float = 0.0) -> Rig:
    kube = LocalKube(clock=clock, ready_delay=ready_delay)
    kube.apply(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "fast-ssd"},
            "provisioner": "ebs.csi.aws.com",
        }
    )
    kube.apply_cluster(example("production-aws.yaml"))
    rig = Rig(kube, clock, queue)
    assert rig.service.reconcile().ok
    clock.advance(ready_delay + 1)
    assert rig.service.reconcile().ok
    return rig


@pytest.fixture
def rig(clock: ManualClock) -> Rig:
    return rig_with(MemoryQueue(), clock)


def test_a_steady_cluster_asks_for_nothing(rig: Rig) -> None:
    before = rig.kube.writes

    report = rig.service.reconcile()

    assert rig.kube.writes == before, "a steady pass writes nothing"
    assert report.clusters[KEY].follow_up is None
    assert "nextCheckAt" not in rig.status() and rig.queue.bodies == []


def test_work_in_flight_records_the_next_check_and_queues_one_follow_up(rig: Rig) -> None:
    start_upgrade(rig.kube, UpgradeRequest(KEY, "1.28.5", "test"))

    report = rig.service.reconcile().clusters[KEY]

    status = rig.status()
    assert status["operation"]["phase"] == "BackingUp"
    assert status["nextCheckReason"].startswith("Backup: backup weavefn-pre-1-28-5-")
    assert report.follow_up_seconds is not None and 15 <= report.follow_up_seconds <= 16
    (message,) = rig.queue.messages
    assert message == {
        "cluster": KEY,
        "reason": status["nextCheckReason"],
        "due": status["nextCheckAt"],
    }
    assert rig.queue.delays == [pytest.approx(report.follow_up_seconds)]

    rig.clock.advance(5)  # the schedule ticks before the follow-up is due
    rig.service.reconcile()

    assert len(rig.queue.messages) == 1, "the pending follow-up comes first: nothing more queued"
    assert rig.status()["nextCheckAt"] == status["nextCheckAt"]


def test_the_follow_up_advances_the_operation_when_it_arrives(rig: Rig) -> None:
    start_upgrade(rig.kube, UpgradeRequest(KEY, "1.28.5", "test"))
    rig.service.reconcile()
    due = datetime.fromisoformat(rig.status()["nextCheckAt"])
    rig.clock.advance((due - rig.now()).total_seconds())

    text = rig.deliver(due)

    assert rig.status()["operation"]["phase"] == "RollingOut", text
    assert rig.status()["nextCheckReason"].startswith("PodReady: waiting for production-2")
    assert len(rig.queue.messages) == 2


def test_a_superseded_follow_up_is_acknowledged_without_a_pass(rig: Rig) -> None:
    start_upgrade(rig.kube, UpgradeRequest(KEY, "1.28.5", "test"))
    rig.service.reconcile()
    pending = rig.status()["nextCheckAt"]
    before = rig.kube.writes

    text = rig.deliver(rig.now() - timedelta(seconds=30))

    assert "superseded" in text and pending in text
    assert rig.kube.writes == before, "no pass ran"


def test_a_follow_up_for_work_that_is_done_does_nothing(rig: Rig) -> None:
    before = rig.kube.writes

    text = rig.deliver(rig.now())

    assert "superseded: nothing is in flight" in text
    assert rig.kube.writes == before


def test_an_early_follow_up_is_delayed_again_for_the_rest_of_its_wait(rig: Rig) -> None:
    # SQS delays a message at most 900 s: a longer wait arrives early and goes back
    due = rig.now() + timedelta(seconds=1500)
    before = rig.kube.writes

    text = rig.deliver(due)

    assert "delayed again" in text and rig.kube.writes == before
    assert rig.queue.messages == [{"cluster": KEY, "reason": "test", "due": stamp(due)}]
    assert rig.queue.delays == [pytest.approx(1500)]


def test_a_sooner_need_supersedes_the_pending_follow_up(clock: ManualClock) -> None:
    rig = rig_with(LocalFollowUps({}), clock)
    load = LoadModel(rig.kube.extras)
    load.set(KEY, cpu=140.0, qps=6000.0, latency=0.02)
    rig.service.reconcile()  # 3 -> 6
    rig.clock.advance(60)
    load.set(
        KEY, cpu=20.0, qps=600.0, latency=0.01
    )  # below target: a scale-down held by its window
    rig.service.reconcile()
    held = rig.status()
    assert held["nextCheckReason"].startswith("Stabilization:")
    window_end = datetime.fromisoformat(held["nextCheckAt"])
    start_upgrade(rig.kube, UpgradeRequest(KEY, "1.28.5", "test"))

    rig.service.reconcile()  # the upgrade's backup wants a look in 15 s

    sooner = datetime.fromisoformat(rig.status()["nextCheckAt"])
    assert sooner < window_end
    rig.clock.advance((window_end - rig.now()).total_seconds() + 1)
    delivered = rig.queue.take_due(rig.now())
    assert [t.due for t in delivered] == [window_end, sooner] or [t.due for t in delivered] == [
        sooner,
        window_end,
    ]
    outcomes = {
        t.due: rig.deliver(t.due) for t in sorted(delivered, key=lambda t: t.due or rig.now())
    }
    assert "superseded" not in outcomes[sooner]
    assert "superseded" in outcomes[window_end]


def test_a_follow_up_the_queue_refuses_is_left_to_the_schedule(clock: ManualClock) -> None:
    rig = rig_with(MemoryQueue(failing=True), clock)
    start_upgrade(rig.kube, UpgradeRequest(KEY, "1.28.5", "test"))

    report = rig.service.reconcile()

    done = report.clusters[KEY]
    assert done.ok and done.follow_up is None and done.follow_up_seconds is None
    assert any(a.startswith("follow-up not queued") for a in done.actions)
    assert rig.status()["operation"]["phase"] == "BackingUp", "the pass's work stands"


def test_a_burst_scales_on_at_each_rate_period_without_waiting_for_the_schedule(
    clock: ManualClock,
) -> None:
    rig = rig_with(LocalFollowUps({}), clock)
    cluster = example("production-aws.yaml")
    cluster["spec"]["autoScaling"]["maxReplicas"] = 40
    rig.kube.apply_cluster(cluster)
    rig.service.reconcile()
    LoadModel(rig.kube.extras).set(KEY, cpu=100.0 * 12)  # asks for far more than one step
    rig.service.reconcile()
    counts = [rig.kube.get_scale(NS, NAME).replicas]
    while (due := rig.queue.next_due()) is not None:
        assert rig.status()["nextCheckReason"].startswith("RateLimit")
        assert (due - rig.now()).total_seconds() <= 15
        rig.clock.advance((due - rig.now()).total_seconds())
        for trigger in rig.queue.take_due(rig.now()):
            rig.deliver(trigger.due or rig.now())
        counts.append(rig.kube.get_scale(NS, NAME).replicas)

    # +100% (or +4) per 15 s period, one step per follow-up, no schedule tick: 3 -> 7 -> 14 -> ...
    assert counts == [7, 14, 28, 40]


def test_new_pods_are_looked_at_until_ready_and_one_that_cannot_start_says_why(
    clock: ManualClock,
) -> None:
    rig = rig_with(MemoryQueue(), clock, ready_delay=30.0)
    rig.kube.fail_pod(NS, f"{NAME}-4", PodFailure.IMAGE_PULL)
    LoadModel(rig.kube.extras).set(KEY, cpu=140.0)

    rig.service.reconcile()  # 3 -> 6: three new pods, Ready 30 s after they start

    assert rig.kube.get_scale(NS, NAME).replicas == 6
    status = rig.status()
    assert status["nextCheckReason"].startswith("NewPodsReady: production-3 starting")
    ready = {c["type"]: c for c in status["conditions"]}["Ready"]
    assert ready["reason"] == "PodCannotStart"
    assert f"{NAME}-4 cannot start: ErrImagePull" in ready["message"]
    LoadModel(rig.kube.extras).set(KEY, cpu=60.0)
    rig.clock.advance(31)

    rig.service.reconcile()

    status = rig.status()
    conditions = {c["type"]: c for c in status["conditions"]}
    assert status["phase"] == "Degraded" and conditions["Degraded"]["reason"] == "PodCannotStart"
    assert f"{NAME}-4 cannot start: ImagePullBackOff" in conditions["Degraded"]["message"]
    assert "nextCheckAt" not in status, "nothing waits on a pod that cannot start"


def test_a_pod_that_stays_unready_is_looked_at_only_for_a_while(clock: ManualClock) -> None:
    rig = rig_with(MemoryQueue(), clock, ready_delay=30.0)
    rig.kube.fail_pod(NS, f"{NAME}-3", PodFailure.NOT_READY)
    LoadModel(rig.kube.extras).set(KEY, cpu=100.0)
    rig.service.reconcile()  # 3 -> 5
    LoadModel(rig.kube.extras).set(KEY, cpu=60.0)
    rig.clock.advance(60)
    rig.service.reconcile()
    assert rig.status()["nextCheckReason"].startswith("NewPodsReady: production-3 starting")

    rig.clock.advance(11 * 60)
    rig.service.reconcile()

    assert "nextCheckAt" not in rig.status(), "after 10 minutes the schedule alone looks"


def test_a_pass_whose_operation_step_fails_keeps_the_operation_followed_up(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_upgrade(rig.kube, UpgradeRequest(KEY, "1.28.5", "test"))
    rig.service.reconcile()
    due = datetime.fromisoformat(rig.status()["nextCheckAt"])
    rig.clock.advance((due - rig.now()).total_seconds())

    def refuse(self: Upgrader, ctx: Any) -> None:
        raise TerminalError("refused by the API server")

    # the delivered pass fails in the upgrade step: nothing in it asked to look again
    monkeypatch.setattr(Upgrader, "__call__", refuse)
    rig.service.handle(
        ClusterTrigger(KEY, "follow-up-test", "test", due=due), deadline=time.monotonic() + 30
    )

    status = rig.status()
    assert status["operation"]["phase"] == "BackingUp"
    assert status.get("nextCheckAt", "") > stamp(due), "looked at again soon, not at the tick"
    assert status["nextCheckReason"].startswith("Operation: Upgrade BackingUp")
    assert rig.queue.messages[-1]["due"] == status["nextCheckAt"]
