"""Follow-ups, pure: when a pass must run again ("check again in N s") and whether to queue it.

A long-running controller returns ``requeueAfter``; a pass here says when it must look again
and the platform's delayed delivery brings it back then (SQS DelaySeconds, Cloud Tasks
schedule_time, a Storage Queue's visibility timeout, the local state's list of due checks).
Steps name what they wait for and when it is worth looking (``FollowUp``); the pass keeps the
soonest. ``plan`` then decides against the follow-up already pending, recorded in
``status.nextCheckAt``: at most one is pending per cluster, a new one is queued only when none
is pending or it is sooner, and a delivered one whose time no longer matches the status was
superseded and does nothing. The schedule trigger stays the safety net.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class Wait(StrEnum):
    """What a pass waits for; each has its own polling interval (``POLL``)."""

    POD_READY = "PodReady"
    """A rolling or reverting pod to be Ready on its version, and its node healthy."""
    NEW_PODS = "NewPodsReady"
    """Pods of a fresh scale-out (or a new cluster) to become Ready."""
    BACKUP = "Backup"
    REPLICA_MOVE = "ReplicaMove"
    VOLUME = "VolumeResize"
    WEAVIATE = "WeaviateUnavailable"
    """Weaviate did not answer a step that needs it."""
    RATE_LIMIT = "RateLimit"
    """A scale held back by a rate policy: the next step is allowed at a known instant."""
    STABILIZATION = "Stabilization"
    """A scale-down held by its stabilization window, which ends at a known instant."""
    RESTORE = "Restore"
    OPERATION = "Operation"
    """An operation in flight whose step named no wait (it failed, or did not run)."""


POLL: dict[Wait, timedelta] = {
    # the readiness probe runs every 10 s (render/statefulset.py): no sooner is worth asking
    Wait.POD_READY: timedelta(seconds=10),
    Wait.NEW_PODS: timedelta(seconds=10),
    Wait.BACKUP: timedelta(seconds=15),
    Wait.RESTORE: timedelta(seconds=15),
    # a MOVE finishes in seconds to minutes: a few seconds keeps a drain bound by its moves
    Wait.REPLICA_MOVE: timedelta(seconds=5),
    Wait.VOLUME: timedelta(seconds=5),
    Wait.WEAVIATE: timedelta(seconds=15),
    Wait.OPERATION: timedelta(seconds=15),
}
"""How often a wait without a known end is looked at. RATE_LIMIT and STABILIZATION have
exact ends instead (``FollowUp.at``)."""
MINIMUM = timedelta(seconds=1)
"""No follow-up sooner than this: the queues count whole seconds."""


def whole_second(moment: datetime) -> datetime:
    """``moment`` rounded up to a whole second: a check is never earlier than asked for."""
    floor = moment.replace(microsecond=0)
    return floor if floor == moment else floor + timedelta(seconds=1)


def stamp(moment: datetime) -> str:
    """How status and the follow-up message write the time (RFC 3339, whole seconds, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class FollowUp:
    """Look again at ``at`` (whole seconds) because of ``wait``; ``message`` says for what."""

    at: datetime
    wait: Wait
    message: str

    @property
    def reason(self) -> str:
        """What status.nextCheckReason says: ``PodReady: search-2 on 1.27.3``."""
        return f"{self.wait}: {self.message}" if self.message else str(self.wait)

    def seconds(self, now: datetime) -> float:
        return max(0.0, (self.at - now).total_seconds())


def follow_up_at(at: datetime, wait: Wait, message: str, *, now: datetime) -> FollowUp:
    """A follow-up at a known instant (a rate period's end, a window's end), never before
    ``now`` + MINIMUM."""
    return FollowUp(whole_second(max(at, now + MINIMUM)), wait, message)


def poll(wait: Wait, message: str, *, now: datetime, since: datetime | None = None) -> FollowUp:
    """The next look at ``wait``: its interval after ``now``, or, given ``since`` (when the
    thing waited for started), the next instant on the interval's grid from ``since``.

    The grid matters for pods: the kubelet runs a readiness probe every period from the
    container's start, so a pod turns Ready only at those instants; looking right then costs
    no more than the delivery's own delay, where looking every period from an arbitrary
    moment costs up to a period more per pod. Kubernetes writes start times in whole
    seconds, so each grid instant is taken a second late (the start may have been up to a
    second after the time written).
    """
    every = POLL[wait]
    if since is None or since > now:
        return follow_up_at(now + every, wait, message, now=now)
    periods = math.floor((now - since) / every) + 1
    return follow_up_at(since + periods * every + MINIMUM, wait, message, now=now)


def sooner(first: FollowUp | None, second: FollowUp | None) -> FollowUp | None:
    """The earlier of two follow-ups (either may be None)."""
    if first is None:
        return second
    if second is None:
        return first
    return second if second.at < first.at else first


@dataclass(frozen=True)
class FollowUpPlan:
    """What the pass leaves in status (``next_check_at``/``reason``) and whether to queue it."""

    next_check_at: str | None
    reason: str | None
    send: FollowUp | None = None
    """The follow-up to queue now; None when the pending one already covers it."""


def plan(
    *,
    pending: str | None,
    pending_reason: str | None,
    wanted: FollowUp | None,
    now: datetime,
    delivered: str | None = None,
) -> FollowUpPlan:
    """Decide the cluster's follow-up after a pass.

    ``pending``: status.nextCheckAt as the pass found it. ``delivered``: the time of the
    follow-up this pass was run for, if any (it is no longer pending, even when it arrived a
    little early). Nothing wanted clears the status; a stale message then finds nothing to
    match and does nothing.
    """
    if wanted is None:
        return FollowUpPlan(None, None)
    due = stamp(wanted.at)
    pending_at = parse_stamp(pending)
    outstanding = pending_at is not None and pending_at > now and pending != delivered
    if outstanding and pending_at is not None and pending_at <= wanted.at:
        return FollowUpPlan(pending, pending_reason)  # the one on its way comes first
    return FollowUpPlan(due, wanted.reason, wanted)
