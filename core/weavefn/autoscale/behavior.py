"""HPA v2 behavior, pure: defaults, stabilization windows and rate-policy limits.

Mirrors the Kubernetes HPA controller (``stabilizeRecommendationWithBehaviors``,
``calculateScaleUpLimitWithScalingRules``, ``calculateScaleDownLimitWithBehaviors``) so a
cluster configured like an HPA scales exactly as fast as one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from weavefn.model.autoscaling import Behavior, PolicyType, ScalingRules, SelectPolicy

DEFAULT_TOLERANCE = 0.1
DEFAULT_UP_WINDOW = 0
DEFAULT_DOWN_WINDOW = 300


@dataclass(frozen=True)
class Policy:
    type: PolicyType
    value: int
    period_seconds: int


@dataclass(frozen=True)
class Rules:
    """One direction's behavior with every HPA default filled in."""

    window_seconds: int
    select: SelectPolicy
    policies: tuple[Policy, ...]
    tolerance: float


@dataclass(frozen=True)
class TimedReplicas:
    """A replica recommendation made at a moment."""

    time: datetime
    replicas: int


@dataclass(frozen=True)
class ScaleEvent:
    """A scale that happened: ``change`` is signed (+2 scaled up by two)."""

    time: datetime
    change: int


DEFAULT_UP_POLICIES = (Policy(PolicyType.PODS, 4, 15), Policy(PolicyType.PERCENT, 100, 15))
DEFAULT_DOWN_POLICIES = (Policy(PolicyType.PERCENT, 100, 15),)


def _resolve(rules: ScalingRules, *, window: int, policies: tuple[Policy, ...]) -> Rules:
    given = tuple(Policy(p.type, p.value, p.period_seconds) for p in rules.policies or ())
    return Rules(
        window_seconds=(
            window
            if rules.stabilization_window_seconds is None
            else rules.stabilization_window_seconds
        ),
        select=rules.select_policy,
        policies=given or policies,
        tolerance=DEFAULT_TOLERANCE if rules.tolerance is None else rules.tolerance,
    )


def scale_up_rules(behavior: Behavior) -> Rules:
    return _resolve(behavior.scale_up, window=DEFAULT_UP_WINDOW, policies=DEFAULT_UP_POLICIES)


def scale_down_rules(behavior: Behavior) -> Rules:
    return _resolve(behavior.scale_down, window=DEFAULT_DOWN_WINDOW, policies=DEFAULT_DOWN_POLICIES)


def _validity(
    history: Iterable[TimedReplicas], now: datetime
) -> list[tuple[TimedReplicas, datetime]]:
    """Each recommendation with the moment it stopped standing (the next one, or now)."""
    ordered = sorted(history, key=lambda r: r.time)
    ends = [r.time for r in ordered[1:]] + ([now] if ordered else [])
    return list(zip(ordered, ends, strict=True))


def stabilize(
    desired: int,
    *,
    current: int,
    history: Iterable[TimedReplicas],
    now: datetime,
    up_window: int,
    down_window: int,
) -> int:
    """Scale up no further than the lowest, and down no further than the highest,
    recommendation standing within each direction's window (the new one included).

    History stores a recommendation only when it changes, so each entry stands until the
    next one: it counts for a window when that span overlaps it. Sampled at every evaluation
    this is the HPA's rule; stored sparsely it gives the same answer without a status write
    per evaluation.
    """
    up_cutoff = now - timedelta(seconds=up_window)
    down_cutoff = now - timedelta(seconds=down_window)
    up_bound = down_bound = desired
    for rec, until in _validity(history, now):
        if until > up_cutoff:
            up_bound = min(up_bound, rec.replicas)
        if until > down_cutoff:
            down_bound = max(down_bound, rec.replicas)
    return min(max(current, up_bound), down_bound)


def stabilization_ends(
    history: Iterable[TimedReplicas],
    *,
    desired: int,
    stabilized: int,
    now: datetime,
    up_window: int,
    down_window: int,
) -> datetime | None:
    """When the recommendation that holds ``stabilized`` away from ``desired`` leaves its
    window, so the stabilized count can move again: None when nothing holds it.

    On the way down the highest recommendations in the window hold the count; it can drop
    once the last of those at or above ``stabilized`` stops counting. On the way up, the
    lowest ones, symmetrically.
    """
    if stabilized == desired:
        return None
    spans = _validity(history, now)
    if stabilized > desired:
        window, holding = (
            down_window,
            [u for r, u in spans if desired < r.replicas and r.replicas >= stabilized],
        )
    else:
        window, holding = (
            up_window,
            [u for r, u in spans if desired > r.replicas and r.replicas <= stabilized],
        )
    ends = [until + timedelta(seconds=window) for until in holding]
    return max((e for e in ends if e > now), default=None)


def rate_limit_lifts(
    events: Iterable[ScaleEvent], *, rules: Rules, now: datetime, up: bool
) -> datetime | None:
    """The next instant a scale event of this direction leaves a policy's period, raising
    what the policies allow (the HPA recomputes its limit from the same events)."""
    ends = [
        event.time + timedelta(seconds=policy.period_seconds)
        for policy in rules.policies
        for event in events
        if (event.change > 0 if up else event.change < 0)
        and event.time + timedelta(seconds=policy.period_seconds) > now
    ]
    return min(ends, default=None)


def remember(
    history: tuple[TimedReplicas, ...], *, now: datetime, replicas: int
) -> tuple[TimedReplicas, ...]:
    """History with this evaluation's recommendation; unchanged when it repeats the last."""
    if history and max(history, key=lambda r: r.time).replicas == replicas:
        return history
    return (*history, TimedReplicas(now, replicas))


def _change_in_period(
    events: Iterable[ScaleEvent], *, now: datetime, period: int
) -> tuple[int, int]:
    cutoff = now - timedelta(seconds=period)
    added = removed = 0
    for event in events:
        if event.time > cutoff:
            if event.change > 0:
                added += event.change
            else:
                removed -= event.change
    return added, removed


def scale_up_limit(
    current: int, *, events: Iterable[ScaleEvent], rules: Rules, now: datetime
) -> int:
    """The most replicas the policies allow now, counting what was added in each period."""
    if rules.select == SelectPolicy.DISABLED or not rules.policies:
        return current
    seen = tuple(events)
    proposals = []
    for policy in rules.policies:
        added, removed = _change_in_period(seen, now=now, period=policy.period_seconds)
        start = current - added + removed
        if policy.type == PolicyType.PODS:
            proposals.append(start + policy.value)
        else:
            # rounded up so that a small percentage of a small cluster still adds a pod
            proposals.append(math.ceil(start * (1 + policy.value / 100)))
    limit = min(proposals) if rules.select == SelectPolicy.MIN else max(proposals)
    # the HPA never proposes fewer than the current count on the way up
    return max(limit, current)


def scale_down_limit(
    current: int, *, events: Iterable[ScaleEvent], rules: Rules, now: datetime
) -> int:
    """The fewest replicas the policies allow now, counting what was removed in each period."""
    if rules.select == SelectPolicy.DISABLED or not rules.policies:
        return current
    seen = tuple(events)
    proposals = []
    for policy in rules.policies:
        added, removed = _change_in_period(seen, now=now, period=policy.period_seconds)
        start = current - added + removed
        if policy.type == PolicyType.PODS:
            proposals.append(start - policy.value)
        else:
            proposals.append(int(start * (1 - policy.value / 100)))
    # Min picks the smallest change, which on the way down is the highest count
    limit = max(proposals) if rules.select == SelectPolicy.MIN else min(proposals)
    return min(limit, current)


def prune_recommendations(
    history: Iterable[TimedReplicas], *, now: datetime, keep_seconds: int
) -> tuple[TimedReplicas, ...]:
    """Drop recommendations that stopped standing before the longest window began."""
    cutoff = now - timedelta(seconds=keep_seconds)
    return tuple(r for r, until in _validity(history, now) if until > cutoff)


def prune_events(
    events: Iterable[ScaleEvent], *, now: datetime, keep_seconds: int
) -> tuple[ScaleEvent, ...]:
    cutoff = now - timedelta(seconds=keep_seconds)
    return tuple(e for e in events if e.time > cutoff)


def longest_period(up: Rules, down: Rules) -> int:
    """How long scale events matter: the longest policy period of either direction."""
    periods = [p.period_seconds for p in (*up.policies, *down.policies)]
    return max(periods, default=0)
