"""Pod-template rollout decisions (pure): whether a changed template may restart pods, and the
next step of a rollout in flight.

Whose change it is decides whether it may restart pods. A spec change rolls out by itself
(``podRestarts: Automatic``) or once approved (``Supervised``). A change that comes from a new
weavefn release, with the spec as it was, never restarts anything by itself: it waits for the
approval annotation, or rides along with the next upgrade. Telling the two apart needs only
what status keeps (``status.podTemplate``): the rendering last applied or held, and the spec
generation it was made at.

A rollout steps the StatefulSet's partition down exactly as an upgrade does (rollout.proven):
each pod Ready on the StatefulSet's update revision and healthy in Weaviate before the next.
A pod not proven within the step timeout holds the rollout: nothing else restarts, the pods
not yet rolled keep serving on their old template, and a condition says which pod and why. It
is not reverted: the old template is the old spec's (or the old weavefn's) rendering, which
weavefn cannot render again, and the pods that did roll are healthy; what fixes a held rollout
is fixing its cause (a spec change restarts the rollout with the new template).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from weavefn.lifecycle.template.state import TemplateState
from weavefn.lifecycle.upgrade.rollout import (
    STEP_TIMEOUT,
    Health,
    PodView,
    Target,
    all_healthy,
    minutes,
    pod_on,
    proven,
    unhealthy_nodes,
)
from weavefn.model.operations import AuthSwitch, TemplateRolloutPhase
from weavefn.model.pods import PodRestarts
from weavefn.model.status import PodTemplateRecord

RECHECK = timedelta(seconds=15)
"""How soon a waiting rollout wants to be looked at again (a pod restart takes about that)."""


class StartVerdict(StrEnum):
    """Whether a changed pod template restarts pods now; also the condition's reason."""

    CURRENT = "Current"
    RESTART_PENDING = "RestartPending"
    """The change comes from weavefn, not the spec: it waits for approval or the next upgrade."""
    AWAITING_APPROVAL = "AwaitingApproval"
    """A spec change under podRestarts: Supervised."""
    SPEC_CHANGED = "SpecChanged"
    DRIFT_REPAIRED = "DriftRepaired"
    """The live template was edited by hand (the applied rendering is still current)."""
    APPROVED = "Approved"
    RESUMING = "ResumingPartition"
    """The template is current but pods below a partition still run the previous one."""

    @property
    def starts(self) -> bool:
        return self in (
            StartVerdict.SPEC_CHANGED,
            StartVerdict.DRIFT_REPAIRED,
            StartVerdict.APPROVED,
            StartVerdict.RESUMING,
        )


@dataclass(frozen=True)
class StartDecision:
    verdict: StartVerdict
    template: str
    changes: tuple[str, ...] = ()
    record: PodTemplateRecord | None = None
    """What status.podTemplate becomes (None: unchanged)."""


@dataclass(frozen=True)
class Proposal:
    """A rendered template against the live one, as the start decision sees them."""

    template: str
    """The rendered template's hash."""
    changes: tuple[str, ...]
    """What differs from the live template (empty: nothing)."""
    live_partition: int


def _spec_moved(
    record: PodTemplateRecord | None, template: str, *, generation: int | None, observed: int | None
) -> bool:
    """Whether the spec changed since the template the pods run (or wait for) was rendered."""
    if record is None:
        # Before status.podTemplate: the last pass rendered the live template at ``observed``.
        return observed is None or generation != observed
    if template == record.hash:
        return record.asked and not record.applied
    return generation != record.generation


def decide_start(
    proposal: Proposal,
    *,
    record: PodTemplateRecord | None,
    generation: int | None,
    observed: int | None,
    restarts: PodRestarts,
    approval: str | None,
    repaired: tuple[str, ...] | None = None,
) -> StartDecision:
    """No operation in flight: does the rendered template start a rollout?

    ``repaired``: the differences the last rollout of this very template was started to repair
    by hand edits. Finding them again means the rollout could not remove them (a difference
    between the rendering and what the API server stores, not an edit): never repaired twice.
    """
    template = proposal.template
    current = record is not None and record.applied and record.hash == template
    unchanged = not proposal.changes or (current and proposal.changes == repaired)
    if unchanged:
        if proposal.live_partition > 0:
            below = f"pods below ordinal {proposal.live_partition} run the previous template"
            return StartDecision(StartVerdict.RESUMING, template, (below,), None)
        applied = PodTemplateRecord(generation=generation, hash=template, applied=True)
        return StartDecision(StartVerdict.CURRENT, template, (), applied)
    verdict = _verdict(
        current=current,
        approved=approval is not None and approval.strip() == template,
        moved=_spec_moved(record, template, generation=generation, observed=observed),
        restarts=restarts,
    )
    # A hand edit leaves the record as it is: the rendering applied last is still current.
    held = None
    if not current:
        asked = verdict is not StartVerdict.RESTART_PENDING
        held = PodTemplateRecord(generation=generation, hash=template, applied=False, asked=asked)
    return StartDecision(verdict, template, proposal.changes, held)


def _verdict(*, current: bool, approved: bool, moved: bool, restarts: PodRestarts) -> StartVerdict:
    if approved:
        return StartVerdict.APPROVED
    if not current and not moved:
        return StartVerdict.RESTART_PENDING
    if restarts is PodRestarts.SUPERVISED:
        return StartVerdict.AWAITING_APPROVAL
    return StartVerdict.DRIFT_REPAIRED if current else StartVerdict.SPEC_CHANGED


def starting_state(
    decision: StartDecision,
    *,
    replicas: int,
    now: datetime,
    partition: int | None = None,
    auth: AuthSwitch | None = None,
) -> TemplateState:
    """The first state of a rollout: the top pod first (or the held partition, resuming)."""
    top = max(replicas - 1, 0)
    # Resuming, the pod at the held partition is proven first: it already runs the template.
    start = top if partition is None else min(partition, top)
    return TemplateState(
        phase=TemplateRolloutPhase.ROLLING_OUT,
        template=decision.template,
        replicas=replicas,
        partition=start,
        phase_started_at=now,
        step_started_at=now,
        changes=decision.changes,
        auth=auth,
        reason=str(decision.verdict),
    )


# -- a rollout in flight ---------------------------------------------------------------------


class StepVerdict(StrEnum):
    """What the next step of a rollout is; also the Event's words."""

    WAITING = "Waiting"
    STEPPED = "PodRestarted"
    ROLLED_OUT = "AllPodsRestarted"
    SUCCEEDED = "Succeeded"
    HELD = "Held"
    RESUMED = "Resumed"
    RESTARTED = "TemplateChangedAgain"


@dataclass(frozen=True)
class StepDecision:
    verdict: StepVerdict
    message: str
    state: TemplateState | None = None
    """The next state (None: unchanged)."""
    recheck: timedelta | None = None
    """When a waiting rollout wants to be looked at again."""


@dataclass(frozen=True)
class Observed:
    """What a rollout step rests on: the pods, Weaviate's word, the StatefulSet's revision."""

    pods: list[PodView]
    health: Health | None
    version: str
    """The version the pods run (unchanged by a template rollout)."""
    update_revision: str | None
    """The StatefulSet's update revision, once its controller has seen the applied template."""
    template: str
    """The hash of the template rendered now (another than the state's: the spec changed)."""
    changes: tuple[str, ...] = ()


def _hold_or_wait(
    state: TemplateState, now: datetime, timeout: timedelta, waiting: str
) -> StepDecision:
    started = state.step_started_at or state.phase_started_at
    if state.phase is not TemplateRolloutPhase.HELD and now - started > timeout:
        message = (
            f"{waiting} after {minutes(timeout)}: holding, nothing else restarts until it is "
            "proven (or the spec changes); the other pods keep their template"
        )
        held = state.to(TemplateRolloutPhase.HELD, now, error=message)
        return StepDecision(StepVerdict.HELD, message, held, RECHECK)
    return StepDecision(StepVerdict.WAITING, waiting, None, RECHECK)


def _step(state: TemplateState, now: datetime, message: str) -> StepDecision:
    resumed = state.phase is TemplateRolloutPhase.HELD
    if state.partition == 0:
        verifying = state.to(TemplateRolloutPhase.VERIFYING, now, step_started_at=now, error=None)
        return StepDecision(StepVerdict.ROLLED_OUT, message, verifying, RECHECK)
    below = state.partition - 1
    moved = replace(state, partition=below, step_started_at=now, error=None)
    if resumed:
        moved = moved.to(TemplateRolloutPhase.ROLLING_OUT, now)
    verdict = StepVerdict.RESUMED if resumed else StepVerdict.STEPPED
    return StepDecision(verdict, message, moved, RECHECK)


def decide_step(
    state: TemplateState,
    observed: Observed,
    *,
    now: datetime,
    timeout: timedelta = STEP_TIMEOUT,
) -> StepDecision:
    """The next step of a rollout in flight."""
    if observed.template != state.template:
        restarted = replace(
            state,
            template=observed.template,
            changes=observed.changes or state.changes,
            partition=max(state.replicas - 1, 0),
            step_started_at=now,
            error=None,
        ).to(TemplateRolloutPhase.ROLLING_OUT, now)
        message = f"the pod template changed again ({observed.template}): rolling it from the top"
        return StepDecision(StepVerdict.RESTARTED, message, restarted, RECHECK)
    if observed.update_revision is None:
        return StepDecision(
            StepVerdict.WAITING, "waiting for the StatefulSet to take the template", None, RECHECK
        )
    # While a rollout switches internal auth, nodes with and without the credentials refuse
    # each other, so what a node says about the others is wrong half the time: Ready alone
    # proves a pod, and Weaviate's health is checked once all run the same credentials.
    target = Target(
        observed.version, observed.update_revision, weaviate_gated=not state.switches_auth
    )
    health = observed.health or Health({}, synchronized=False)
    if state.phase is TemplateRolloutPhase.VERIFYING:
        return _verify(state, observed, health, target, now=now, timeout=timeout)
    unhealthy = unhealthy_nodes(health) if target.weaviate_gated else None
    pod = proven(observed.pods, health, state.partition, target)
    if pod is not None and unhealthy is None:
        return _step(state, now, f"{pod.name} restarted on template {state.template}")
    name = next((p.name for p in observed.pods if p.ordinal == state.partition), None)
    waiting = f"waiting for {name or f'pod {state.partition}'} on template {state.template}"
    if unhealthy:
        waiting += f" (node {unhealthy} is UNHEALTHY)"
    elif target.weaviate_gated and observed.health is None:
        waiting += " (Weaviate's health unknown)"
    return _hold_or_wait(state, now, timeout, waiting)


def _verify(
    state: TemplateState,
    observed: Observed,
    health: Health,
    target: Target,
    *,
    now: datetime,
    timeout: timedelta,
) -> StepDecision:
    """Every pod Ready on the revision, and Weaviate reporting every node healthy in sync."""
    pods = [pod_on(observed.pods, i, target) for i in range(state.replicas)]
    gated = Target(target.version, target.revision)
    if all(pods) and all_healthy(health) and proven(observed.pods, health, 0, gated):
        done = state.to(TemplateRolloutPhase.SUCCEEDED, now, error=None)
        message = f"all {state.replicas} pods on template {state.template}, every node healthy"
        return StepDecision(StepVerdict.SUCCEEDED, message, done, None)
    missing = [str(i) for i, pod in enumerate(pods) if pod is None]
    waiting = (
        f"waiting for pods {', '.join(missing)} on template {state.template}"
        if missing
        else "waiting for Weaviate to report every node healthy and in sync"
    )
    return _hold_or_wait(state, now, timeout, waiting)
