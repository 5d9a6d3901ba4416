"""Per-invocation plumbing every cloud adapter shares: settings, deadline, runtime and fan-out.

An adapter builds one Instance per warm container (``current()``), turns its platform event
into core triggers, and runs them through ``run_trigger``/``run_schedule``. Everything here is
cloud-neutral: no cloud SDK is imported. Importing it is cheap: the service, the resource
model and the cluster connection load when the first invocation opens a runtime.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from weavefn.errors import ConfigurationError, FieldError, InvalidInputError, WeavefnError
from weavefn.kube.access import CLUSTER_ENV, AccessKind, cluster_setting, parse_setting
from weavefn.logs import configure_logging, log_outcome
from weavefn.model.keys import object_key
from weavefn.observe.catalog import Scope
from weavefn.observe.emitters import (
    METRICS_ENV,
    SCOPE_ENV,
    Sink,
    observer_for,
    parse_scope,
    parse_sink,
)
from weavefn.queue.factory import QUEUE_ENV, QueueKind, queue_for, queue_kind
from weavefn.queue.follow_ups import FollowUpSetting, follow_up_queue, follow_up_setting
from weavefn.triggers.model import Outcome, ScheduleTrigger, Trigger
from weavefn.triggers.replay import InMemoryReplayGuard, ReplayGuard

if TYPE_CHECKING:
    from weavefn.kube.port import KubeApi
    from weavefn.queue.port import FollowUpQueue, ReconcileQueue
    from weavefn.runtime import Runtime
    from weavefn.service import PassObserver
    from weavefn.triggers.sns_signature import SnsVerifier

log = logging.getLogger("weavefn")

ADMISSION_TOKEN_ENV = "WEAVEFN_ADMISSION_TOKEN"  # nosec B105 # the variable's name, not a token
FANOUT_ENV = "WEAVEFN_FANOUT_THRESHOLD"
LOG_LEVEL_ENV = "WEAVEFN_LOG_LEVEL"
DEFAULT_FANOUT_THRESHOLD = 50
DEFAULT_BUDGET = 50.0
"""Seconds to work when the platform does not say how long is left (CLI, local runs)."""
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

RuntimeFactory = Callable[[], "AbstractContextManager[Runtime]"]


@dataclass(frozen=True)
class Settings:
    """The function's configuration, read once from its environment. Secrets stay out of repr."""

    cluster: str
    upgrade_secret: bytes = field(default=b"", repr=False)
    admission_token: str | None = field(default=None, repr=False)
    queue: str = ""
    fanout_threshold: int = DEFAULT_FANOUT_THRESHOLD
    log_level: str = "INFO"
    metrics: Sink = Sink.AUTO
    metrics_scope: Scope = Scope.CLUSTER
    follow_ups: FollowUpSetting = field(default_factory=FollowUpSetting)
    """Where passes queue their follow-ups (WEAVEFN_FOLLOWUPS, see queue/follow_ups.py)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        from weavefn.triggers.signed_upgrade import SECRET_ENV

        env = os.environ if environ is None else environ
        errors: list[FieldError] = []
        threshold = DEFAULT_FANOUT_THRESHOLD
        raw_threshold = env.get(FANOUT_ENV, "").strip()
        if raw_threshold:
            if raw_threshold.isdigit() and int(raw_threshold) >= 1:
                threshold = int(raw_threshold)
            else:
                errors.append(FieldError(FANOUT_ENV, "must be a whole number of clusters, >= 1"))
        level = (env.get(LOG_LEVEL_ENV) or "INFO").strip().upper()
        if level not in _LEVELS:
            errors.append(FieldError(LOG_LEVEL_ENV, f"must be one of {', '.join(_LEVELS)}"))
        queue = env.get(QUEUE_ENV, "")
        follow_ups = FollowUpSetting()
        try:
            queue_kind(queue)
            follow_ups = follow_up_setting(env)
        except InvalidInputError as bad:
            errors.extend(bad.errors)
        metrics, metrics_scope = Sink.AUTO, Scope.CLUSTER
        try:
            metrics = parse_sink(env.get(METRICS_ENV, ""))
        except InvalidInputError as bad:
            errors.extend(bad.errors)
        try:
            metrics_scope = parse_scope(env.get(SCOPE_ENV, ""))
        except InvalidInputError as bad:
            errors.extend(bad.errors)
        setting = env.get(CLUSTER_ENV) or cluster_setting(None)
        try:
            parse_setting(setting)
        except InvalidInputError as bad:
            errors.extend(FieldError(CLUSTER_ENV, e.message) for e in bad.errors)
        if errors:
            raise ConfigurationError(errors, what="function settings")
        return cls(
            cluster=setting,
            upgrade_secret=env.get(SECRET_ENV, "").encode(),
            admission_token=env.get(ADMISSION_TOKEN_ENV) or None,
            queue=queue,
            fanout_threshold=threshold,
            log_level=level,
            metrics=metrics,
            metrics_scope=metrics_scope,
            follow_ups=follow_ups,
        )


def deadline_from(remaining_seconds: float | None, *, now: float | None = None) -> float:
    """A time.monotonic() instant to stop working by, leaving time to answer the platform.

    The margin is a tenth of what is left, between 1 and 5 seconds: enough to write status
    and return, small enough that a short webhook timeout still leaves most of its budget.
    """
    start = time.monotonic() if now is None else now
    if remaining_seconds is None:
        return start + DEFAULT_BUDGET
    margin = min(5.0, max(1.0, remaining_seconds * 0.1))
    return start + max(0.0, remaining_seconds - margin)


class RuntimeProvider:
    """Runtimes for one cluster setting: one kept open per warm container for a real cluster.

    A local (file-backed) cluster is opened per invocation instead, so each invocation sees the
    saved state and saves its own: another process (the CLI) may have changed the file.
    """

    def __init__(
        self,
        setting: str,
        *,
        observer: PassObserver | None = None,
        follow_ups: FollowUpQueue | None = None,
    ) -> None:
        self.setting = setting
        self.observer = observer
        self.follow_ups = follow_ups
        """The platform's delayed queue; None: the backend's own (local) or none at all."""
        self._local = parse_setting(setting).kind is AccessKind.LOCAL
        self._stack = ExitStack()
        self._runtime: Runtime | None = None

    def __call__(self) -> AbstractContextManager[Runtime]:
        # the service and everything it decides with load on the first invocation, not at import
        from weavefn.runtime import open_runtime_for

        if self._local:
            return open_runtime_for(
                self.setting, observer=self.observer, follow_ups=self.follow_ups
            )
        if self._runtime is None:
            self._runtime = self._stack.enter_context(
                open_runtime_for(self.setting, observer=self.observer, follow_ups=self.follow_ups)
            )
        return nullcontext(self._runtime)

    def close(self) -> None:
        self._runtime = None
        self._stack.close()


def _sns_verifier() -> SnsVerifier:
    # cryptography's x509 costs tens of milliseconds: only the webhook that checks SNS pays
    from weavefn.triggers.sns_signature import SnsVerifier

    return SnsVerifier()


@dataclass
class Instance:
    """What one warm function instance keeps between invocations."""

    settings: Settings
    runtime_factory: RuntimeFactory
    replay: ReplayGuard = field(default_factory=InMemoryReplayGuard)
    verifier: SnsVerifier = field(default_factory=_sns_verifier)
    queue: ReconcileQueue | None = None
    """A fixed queue (tests, dry runs); None means the one ``settings.queue`` names."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Instance:
        settings = Settings.from_env(environ)
        configure_logging(settings.log_level)
        try:
            observer = observer_for(
                settings.metrics,
                scope=settings.metrics_scope,
                env=os.environ if environ is None else environ,
                cluster_setting=settings.cluster,
            )
            follow_ups = follow_up_queue(settings.follow_ups)
        except InvalidInputError as bad:  # the emitter's settings are the deployment's, too
            raise ConfigurationError(bad.errors, what="function settings") from None
        provider = RuntimeProvider(settings.cluster, observer=observer, follow_ups=follow_ups)
        return cls(settings=settings, runtime_factory=provider)

    def queue_for(self, runtime: Runtime | None) -> ReconcileQueue:
        if self.queue is not None:
            return self.queue
        return queue_for(self.settings.queue, service=runtime.service if runtime else None)

    @property
    def queues_inline(self) -> bool:
        return self.queue is None and queue_kind(self.settings.queue)[0] is QueueKind.INLINE


@functools.cache
def _from_env() -> Instance:
    return Instance.from_env()


_SERVED: ContextVar[Instance | None] = ContextVar("weavefn_served_instance", default=None)


class _Current:
    def __call__(self) -> Instance:
        served = _SERVED.get()
        return served if served is not None else _from_env()

    def cache_clear(self) -> None:
        """Forget the Instance built from the environment (tests that change it)."""
        _from_env.cache_clear()


current = _Current()
"""``current()``: this container's Instance, built from the environment on first use and then
kept: settings, the open cluster connection, SNS certificates and seen requests survive
between invocations of a warm container. Inside ``serving(instance)``, that instance."""


@contextmanager
def serving(instance: Instance) -> Iterator[Instance]:
    """Every entry point's ``current()`` is ``instance`` in this block (``weavefn invoke``)."""
    token = _SERVED.set(instance)
    try:
        yield instance
    finally:
        _SERVED.reset(token)


def run_trigger(
    trigger: Trigger, *, instance: Instance, deadline: float, request_id: str = ""
) -> Outcome:
    """Handle one core trigger through the service and log the decision per cluster."""
    with instance.runtime_factory() as runtime:
        outcome = runtime.service.handle(trigger, deadline=deadline)
    log_outcome(trigger, outcome, request_id=request_id)
    return outcome


def run_schedule(
    trigger: ScheduleTrigger, *, instance: Instance, deadline: float, request_id: str = ""
) -> Outcome:
    """Reconcile every cluster, or above the fan-out threshold queue one message per cluster.

    Fanning out costs one list call here; each queue invocation then has its whole budget
    for one cluster instead of this one sharing its budget with the fleet.
    """
    with instance.runtime_factory() as runtime:
        clusters = cluster_keys(runtime.kube)
        if len(clusters) <= instance.settings.fanout_threshold or instance.queues_inline:
            outcome = runtime.service.handle(trigger, deadline=deadline)
        else:
            outcome = _fan_out(clusters, queue=instance.queue_for(runtime), trigger=trigger)
    log_outcome(trigger, outcome, request_id=request_id)
    return outcome


def cluster_keys(kube: KubeApi) -> list[str]:
    """Every cluster's ``namespace/name``, a page at a time: a large fleet's objects are never
    all held at once just to count them."""
    # loaded with the runtime already; imported here so that importing this module stays cheap
    from weavefn.kube.paging import iter_pages
    from weavefn.model.manifest import API_VERSION, KIND

    return [
        object_key(raw) for page in iter_pages(kube.list_page, API_VERSION, KIND) for raw in page
    ]


def _fan_out(clusters: list[str], *, queue: ReconcileQueue, trigger: ScheduleTrigger) -> Outcome:
    queued: dict[str, str] = {}
    for cluster in clusters:
        try:
            queue.enqueue(cluster, reason=f"schedule fan-out {trigger.event_id}")
        except WeavefnError as exc:
            log.warning("fan-out stopped", extra={"cluster": cluster, "error": type(exc).__name__})
            # the clusters already queued are reconciled; the retried tick queues them again,
            # which is harmless since reconciles are level-based
            return Outcome(
                ok=False,
                retry=exc.retryable,
                message=f"queued {len(queued)} of {len(clusters)} cluster(s), then: {exc}",
                clusters=queued,
            )
        queued[cluster] = "queued for reconcile"
    return Outcome(ok=True, message=f"queued {len(clusters)} cluster(s)", clusters=queued)


@contextmanager
def fixed_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """A RuntimeFactory body for a runtime built elsewhere (tests, the CLI's local cluster)."""
    yield runtime
