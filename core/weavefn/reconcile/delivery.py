"""Follow-ups in and out of the service: queue those the passes asked for, and judge one that
arrives (early: delay it again; superseded: drop it; else its pass runs)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from weavefn.errors import WeavefnError
from weavefn.kube.port import Obj
from weavefn.reconcile.followup import stamp
from weavefn.triggers.model import ClusterTrigger, Outcome

if TYPE_CHECKING:
    from weavefn.queue.port import FollowUpQueue
    from weavefn.reconcile.fleet import FleetReport

log = logging.getLogger("weavefn")
EARLY = timedelta(seconds=1)
"""A follow-up delivered more than this before its time is delayed again (SQS delays at most
900 s); within it, the pass runs: the queues count whole seconds."""


def done(cluster: str, message: str) -> Outcome:
    return Outcome(ok=True, message=message, clusters={cluster: message})


def arrived_early(
    queue: FollowUpQueue | None, trigger: ClusterTrigger, *, due: datetime, now: datetime
) -> Outcome | None:
    """Queue a follow-up that came before its time again, for the rest of its wait."""
    if due - now <= EARLY or queue is None:
        return None
    queue.schedule(
        trigger.cluster, due=due, delay=(due - now).total_seconds(), reason=trigger.reason
    )
    return done(trigger.cluster, f"follow-up due {stamp(due)}: delayed again")


def superseded_by(raw: Obj, *, key: str, due: datetime) -> Outcome | None:
    """A follow-up whose time status.nextCheckAt no longer names does nothing: a newer one
    replaced it, or nothing is in flight any more. Acknowledged, no pass."""
    pending = (raw.get("status") or {}).get("nextCheckAt")
    if pending == stamp(due):
        return None
    now_pending = f"the next is due {pending}" if pending else "nothing is in flight"
    return done(key, f"follow-up due {stamp(due)} superseded: {now_pending}")


def queue_follow_ups(queue: FollowUpQueue | None, report: FleetReport) -> None:
    """Hand each cluster's new follow-up to the queue, after its status says so.

    One that cannot be queued is left to the schedule (the pass is not failed for it: its
    work is done and saved); the report says so and the metric does not count it.
    """
    for key, found in list(report.clusters.items()):
        follow_up = found.follow_up
        if follow_up is None:
            continue
        if queue is None:
            report.clusters[key] = replace(found, follow_up=None, follow_up_seconds=None)
            continue
        try:
            queue.schedule(
                key, due=follow_up.at, delay=found.follow_up_seconds or 0.0, reason=follow_up.reason
            )
        except WeavefnError as exc:
            log.warning("follow-up not queued", extra={"cluster": key, "error": str(exc)})
            actions = (*found.actions, f"follow-up not queued ({exc}): the schedule continues")
            report.clusters[key] = replace(
                found, follow_up=None, follow_up_seconds=None, actions=actions
            )
