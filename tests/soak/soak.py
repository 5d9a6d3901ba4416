"""A seeded fault-injection soak: many clusters, many trigger events, invariants after each step.

``run_soak(SoakConfig(seed=7, events=1500))`` builds clusters on a LocalKube with a simulated
Weaviate each, then feeds alarms (firing/resolved, duplicated, replayed late), schedule ticks,
upgrade requests, SQS messages (through the AWS queue handler) and the follow-ups that passes
queue (delivered when due, retried like any message) in concurrent batches, with
random API 5xx, timeouts and conflicts, failing pods, MOVE and backup failures, and a manual
clock. The same seed replays the same run: ``python -m tests.soak.soak --seed 7 --events 1500``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from weavefn.errors import RetryableError, WeavefnError
from weavefn.invocation import Instance, Settings, fixed_runtime
from weavefn.local.backend import local_backend
from weavefn.local.kube import Fault, LocalKube, ManualClock, Verb
from weavefn.local.metrics import LoadModel
from weavefn.local.weaviate.connector import edit_sim
from weavefn.local.weaviate.state import BackupFailure
from weavefn.logs import JsonFormatter
from weavefn.queue.port import due_text
from weavefn.runtime import Runtime, build_runtime
from weavefn.triggers.model import (
    AlarmSource,
    AlarmState,
    AlarmTrigger,
    ClusterTrigger,
    ScheduleTrigger,
    Trigger,
    UpgradeRequest,
)

from functions.aws.handlers import AwsHandlers, LocalContext
from tests.soak import invariants
from tests.soak.fleet import CANARY_SECRET, Flavor, build_fleet
from tests.soak.invariants import Violation

EPOCH = 1_795_000_000.0
SETTLE_ROUNDS = 120
UPGRADE_TARGET = "1.27.3"
REDELIVERIES = 5

BUDGET_SECONDS = 600.0
"""Each invocation's time budget. The soak checks invariants, not budgets: a budget that a
loaded machine can run out of would make a seed's run depend on the machine (a pass cut short
is redelivered, and every later fault moves)."""


@dataclass(frozen=True)
class SoakConfig:
    seed: int = 7
    events: int = 1_500
    clusters: int = 50
    workers: int = 4
    batch: int = 8
    fault_rate: float = 0.04
    check_every: int = 1
    """Batches between invariant checks (1: after every step)."""


@dataclass
class SoakReport:
    config: SoakConfig
    events: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    scale_outs: int = 0
    scale_ins: int = 0
    drains: set[tuple[str, str]] = field(default_factory=set)
    upgrades: Counter[str] = field(default_factory=Counter)
    violations: list[Violation] = field(default_factory=list)
    checks: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "seed": self.config.seed,
            "clusters": self.config.clusters,
            "events": sum(self.events.values()),
            "events_by_kind": dict(sorted(self.events.items())),
            "faults_injected": dict(sorted(self.faults.items())),
            "outcomes": dict(sorted(self.outcomes.items())),
            "scale_outs": self.scale_outs,
            "scale_ins": self.scale_ins,
            "drains": len(self.drains),
            "upgrades": dict(sorted(self.upgrades.items())),
            "invariant_checks": self.checks,
            "violations": len(self.violations),
            "seconds": round(self.seconds, 1),
        }


class Captured(logging.Handler):
    """Every weavefn log line as the functions would print it (JSON with its extras)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class Soak:
    config: SoakConfig
    kube: LocalKube
    clock: ManualClock
    runtime: Runtime
    flavors: dict[str, Flavor]
    rng: random.Random
    report: SoakReport
    errors: list[str] = field(default_factory=list)
    history: list[Trigger] = field(default_factory=list)
    upgraded: set[str] = field(default_factory=set)
    failed_pods: list[tuple[int, str, str]] = field(default_factory=list)
    count: int = 0
    failed_image_until: int = 0
    in_transit: set[tuple[str, str]] = field(default_factory=set)
    """Follow-ups out of the queue but not done: being redelivered, or given up on."""
    recovering: frozenset[str] = frozenset()
    """Clusters whose trigger is being redelivered after a retryable failure."""
    given_up: set[str] = field(default_factory=set)
    """Clusters whose trigger was given up on: the next good schedule tick picks them up."""

    # -- events -------------------------------------------------------------------------

    def _id(self, kind: str) -> str:
        self.count += 1
        return f"{kind}-{self.config.seed}-{self.count}"

    def next_event(self) -> tuple[str, Any]:
        rng, keys = self.rng, sorted(self.flavors)
        key = rng.choice(keys)
        roll = rng.random()
        if roll < 0.01:
            return "tick", ScheduleTrigger(self._id("tick"), self._now())
        if roll < 0.06 and self.flavors[key] is Flavor.UPGRADER:
            self.upgraded.add(key)
            return "upgrade", UpgradeRequest(key, UPGRADE_TARGET, self._id("upgrade"))
        if roll < 0.30:
            return "queue", {
                "Records": [
                    {
                        "messageId": self._id("sqs"),
                        "body": json.dumps({"cluster": key, "reason": "soak"}),
                        "eventSource": "aws:sqs",
                    }
                ]
            }
        firing = rng.random() < 0.5
        cpu = rng.uniform(110, 220) if firing else rng.uniform(3, 25)
        LoadModel(self.kube.extras).set(key, cpu=cpu)
        alarm = AlarmTrigger(
            source=rng.choice(list(AlarmSource)),
            event_id=self._id("alarm"),
            alarm_name=f"{key.replace('/', '-')}-cpu",
            state=AlarmState.FIRING if firing else AlarmState.RESOLVED,
            occurred_at=self._now(),
            cluster=key,
            metric="CPUUtilization",
            observed=cpu,
        )
        return ("alarm-firing" if firing else "alarm-resolved"), alarm

    def due_follow_ups(self) -> list[tuple[str, Any]]:
        """The follow-ups passes queued that are due now, as the queue would deliver them."""
        held = self.runtime.held
        return [] if held is None else [("follow-up", t) for t in held.take_due(self._now())]

    def batch(self) -> list[tuple[str, Any]]:
        events = [self.next_event() for _ in range(self.config.batch)]
        events += self.due_follow_ups()
        if self.history and self.rng.random() < 0.3:  # a late redelivery of an old event
            events.append(("replayed", self.rng.choice(self.history)))
        if self.rng.random() < 0.3:  # at-least-once delivery: the same event twice
            events.append(("duplicated", self.rng.choice(events)[1]))
        self.rng.shuffle(events)
        self.history.extend(e for _, e in events if isinstance(e, AlarmTrigger))
        self.history = self.history[-200:]
        return events

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def run_one(self, event: Any) -> str:
        """One invocation, as a platform would make it; what came back, as an outcome name."""
        deadline = time.monotonic() + BUDGET_SECONDS
        try:
            if isinstance(event, dict):
                handlers = AwsHandlers(lambda: _instance(self.runtime))
                answer = handlers.queue(event, LocalContext(budget_seconds=BUDGET_SECONDS))
                return "retry" if answer["batchItemFailures"] else "ok"
            outcome = self.runtime.service.handle(event, deadline=deadline)
        except RetryableError as busy:
            self.errors.append(str(busy))
            return "retry"
        except WeavefnError as refused:
            self.errors.append(str(refused))
            return "refused"
        self.errors.append(outcome.message)
        self.errors.extend(outcome.clusters.values())
        return "retry" if outcome.retry else ("ok" if outcome.ok else "not-ok")

    # -- faults ---------------------------------------------------------------------------

    def inject(self, step: int) -> None:
        rng, kube = self.rng, self.kube
        kube.clear_faults()
        if rng.random() < 0.5:
            kube.set_fault_rate(
                rng.uniform(0.0, self.config.fault_rate), fault=rng.choice(list(Fault))
            )
        key = rng.choice(sorted(self.flavors))
        if rng.random() < 0.3:
            # aimed at one cluster, so concurrent passes over others cannot use it up
            verb = rng.choice([Verb.UPDATE, Verb.PATCH, Verb.APPLY, Verb.CREATE, Verb.GET, None])
            fault = rng.choice(list(Fault))
            kube.add_fault(fault, verb=verb, times=rng.randint(1, 3), cluster=key)
        namespace, name = key.split("/")
        if rng.random() < 0.03:
            pod = f"{name}-{rng.randint(0, 3)}"
            kube.fail_pod(namespace, pod)
            self.failed_pods.append((step + rng.randint(3, 20), namespace, pod))
            self.report.faults["pod-failure"] += 1
        if rng.random() < 0.01 and not self.failed_image_until:
            # every pod started on the upgrade target crash-loops for a while: rollbacks
            kube.fail_image(UPGRADE_TARGET)
            self.failed_image_until = step + rng.randint(10, 40)
            self.report.faults["image-failure"] += 1
        if self.failed_image_until and step >= self.failed_image_until:
            kube.heal(image=UPGRADE_TARGET)
            self.failed_image_until = 0
        for heal_at, ns, pod in [p for p in self.failed_pods if p[0] <= step]:
            kube.heal(ns, pod)
            self.failed_pods.remove((heal_at, ns, pod))
        try:
            if rng.random() < 0.05 and self.flavors[key] is Flavor.MOVER:
                with edit_sim(kube, key) as sim:
                    sim.fail_next_replication("simulated MOVE failure")
                self.report.faults["move-failure"] += 1
            if rng.random() < 0.05 and self.flavors[key] is Flavor.UPGRADER:
                with edit_sim(kube, key) as sim:
                    sim.fail_next_backup(rng.choice(list(BackupFailure)))
                self.report.faults["backup-failure"] += 1
        except KeyError:
            pass  # no pods yet: nothing to fail

    # -- observation ----------------------------------------------------------------------

    def observe(self, before: dict[str, int]) -> dict[str, int]:
        after = {
            k: int(s["spec"]["replicas"]) for k, s in invariants.statefulsets(self.kube).items()
        }
        for key, replicas in after.items():
            self.report.scale_outs += replicas > before.get(key, replicas)
            self.report.scale_ins += replicas < before.get(key, replicas)
        for raw in invariants.clusters(self.kube):
            status = raw.get("status") or {}
            for op in (status.get("operation"), status.get("lastOperation")):
                if op and op.get("kind") == "ScaleInDrain":
                    self.report.drains.add((raw["metadata"]["name"], op.get("startedAt", "")))
        return after

    def check(self) -> None:
        self.report.checks += 1
        self.report.violations.extend(
            invariants.during_run(
                self.kube,
                in_transit=self.in_transit,
                recovering=self.recovering | frozenset(self.given_up),
            )
        )


def _named(event: Any) -> set[str]:
    """The clusters an event is for (EVERY_CLUSTER: a schedule tick's all)."""
    if isinstance(event, dict):
        return {json.loads(r["body"])["cluster"] for r in event["Records"]}
    cluster = getattr(event, "cluster", None)
    return {cluster} if isinstance(cluster, str) else {invariants.EVERY_CLUSTER}


def _follow_up_key(event: Any) -> tuple[str, str] | None:
    if isinstance(event, ClusterTrigger) and event.due is not None:
        return event.cluster, due_text(event.due)
    return None


def _instance(runtime: Runtime) -> Instance:
    return Instance(
        settings=Settings(cluster="local:soak.json"),
        runtime_factory=lambda: fixed_runtime(runtime),
    )


def _count_faults(kube: LocalKube, faults: Counter[str]) -> None:
    """Count each injected API failure as the call log raises it."""
    log = kube._log  # the local server's call log: where injected faults are raised
    record: Callable[[Any], None] = log.record

    def counted(call: Any) -> None:
        try:
            record(call)
        except WeavefnError as injected:
            faults[
                type(injected).__name__ + (" (timeout)" if "timeout" in str(injected) else "")
            ] += 1
            raise

    log.record = counted  # type: ignore[method-assign]


def run_soak(
    config: SoakConfig, *, on_kube: Callable[[LocalKube], None] | None = None
) -> SoakReport:
    """Run the soak; ``on_kube`` is shown the local cluster first (e.g. to read its call log)."""
    started = time.monotonic()
    rng = random.Random(config.seed)
    clock = ManualClock(EPOCH)
    kube = LocalKube(clock=clock, ready_delay=20.0, seed=config.seed)
    if on_kube is not None:
        on_kube(kube)
    flavors = build_fleet(kube, count=config.clusters, rng=rng)
    kube.reset_calls()  # from here on, every API call is the code's own
    runtime = build_runtime(local_backend(kube), clock=lambda: datetime.fromtimestamp(clock(), UTC))
    report = SoakReport(config)
    soak = Soak(config, kube, clock, runtime, flavors, rng, report)
    captured = Captured()
    logger = logging.getLogger("weavefn")
    logger.addHandler(captured)
    try:
        for _ in range(6):  # create every cluster and let its pods become Ready
            runtime.service.reconcile()
            clock.advance(30.0)
        _count_faults(kube, report.faults)
        replicas = soak.observe({})
        pending: list[tuple[str, Any]] = []
        attempts: dict[int, int] = {}
        step = 0
        with ThreadPoolExecutor(max_workers=config.workers) as pool:
            while sum(report.events.values()) < config.events:
                step += 1
                soak.inject(step)
                batch = pending + soak.batch()
                for kind, _ in batch:
                    report.events[kind] += 1
                results = list(pool.map(lambda e: soak.run_one(e[1]), batch))
                report.outcomes.update(results)
                # the platform redelivers what asked for a retry (SQS, Pub/Sub, Lambda async
                # retries), here up to REDELIVERIES times
                pending = []
                for (_, event), result in zip(batch, results, strict=True):
                    tries = attempts.get(id(event), 0) + 1
                    attempts[id(event)] = tries
                    follow_up = _follow_up_key(event)
                    if follow_up is not None:
                        soak.in_transit.discard(follow_up)
                    if result == "retry" and tries <= REDELIVERIES:
                        pending.append(("redelivered", event))
                    elif result == "retry":
                        report.outcomes["gave up after redeliveries"] += 1
                        soak.given_up |= _named(event)
                    elif isinstance(event, ScheduleTrigger) and result == "ok":
                        soak.given_up.clear()  # the safety net went over every cluster
                    if result == "retry" and follow_up is not None:
                        soak.in_transit.add(follow_up)  # back soon, or the schedule's now
                soak.recovering = frozenset(k for _, e in pending for k in _named(e))
                kube.clear_faults()
                replicas = soak.observe(replicas)
                if step % config.check_every == 0:
                    soak.check()
                clock.advance(rng.choice([5.0, 10.0, 15.0, 30.0, 60.0]))
        settle(soak)
        replicas = soak.observe(replicas)
        report.violations.extend(invariants.upgrades_ended(kube, soak.upgraded))
        report.violations.extend(
            invariants.no_secret_leaked(
                kube, [CANARY_SECRET], texts=[*captured.lines, *soak.errors]
            )
        )
        for raw in invariants.clusters(kube):
            last = (raw.get("status") or {}).get("lastOperation") or {}
            if f"{raw['metadata']['namespace']}/{raw['metadata']['name']}" in soak.upgraded:
                phase = str(last.get("phase")) if last.get("kind") == "Upgrade" else "not started"
                report.upgrades[
                    "Failed (backup failed, image unchanged)" if phase == "Failed" else phase
                ] += 1
    finally:
        logger.removeHandler(captured)
    report.seconds = time.monotonic() - started
    return report


def settle(soak: Soak) -> None:
    """No more faults: reconcile every minute until no operation is in flight."""
    soak.kube.clear_faults()
    soak.kube.heal()
    for _ in range(SETTLE_ROUNDS):
        soak.runtime.service.reconcile()
        soak.check()
        busy = [
            r for r in invariants.clusters(soak.kube) if (r.get("status") or {}).get("operation")
        ]
        if not busy:
            return
        soak.clock.advance(60.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--events", type=int, default=1_500)
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=4, help="1 replays a seed exactly (no thread races)"
    )
    args = parser.parse_args()
    config = replace(
        SoakConfig(),
        seed=args.seed,
        events=args.events,
        clusters=args.clusters,
        workers=args.workers,
    )
    report = run_soak(config)
    print(json.dumps(report.summary(), indent=2))
    for violation in report.violations[:50]:
        print(violation)


if __name__ == "__main__":
    main()
