"""status.autoscaling <-> decision history: what one evaluation and one scale leave behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from weavefn.autoscale.decision import Action, evaluate
from weavefn.autoscale.history import decision_input, recorded, scale_events_of, scaled
from weavefn.autoscale.metrics.port import MetricName, MetricSnapshot, Reading
from weavefn.model.autoscaling import AutoScalingSpec, MetricSourceKind
from weavefn.model.status import AutoscalingStatus, Recommendation

from tests.unit.autoscale.conftest import make_cluster

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_scale_events_without_change_count_from_their_predecessor() -> None:
    status = AutoscalingStatus(
        scale_events=[
            Recommendation(time="2025-01-01T11:59:40Z", replicas=3),
            Recommendation(time="2025-01-01T11:59:50Z", replicas=5),
            Recommendation(time="2025-01-01T11:59:55Z", replicas=4, change=-1),
        ]
    )
    assert [e.change for e in scale_events_of(status)] == [0, 2, -1]


def test_evaluate_record_scale_then_rate_policy_sees_the_scale() -> None:
    cluster = make_cluster({"targetCPU": 70, "maxReplicas": 50})
    hot = MetricSnapshot((Reading(MetricName.CPU, MetricSourceKind.KUBERNETES, 700.0),))
    first = evaluate(decision_input(cluster, current=2, snapshot=hot, now=NOW))
    assert (first.action, first.replicas) == (Action.SCALE_UP, 6)
    status = recorded(cluster.status.autoscaling, first)
    spec = cluster.spec.auto_scaling or AutoScalingSpec()
    status = scaled(status, spec=spec, replicas=6, change=first.change, now=NOW)
    assert status.last_scale_time == "2025-01-01T12:00:00Z"
    later = cluster.model_copy(
        update={"status": cluster.status.model_copy(update={"autoscaling": status})}
    )
    # 5 s later the +4 of this period still counts: 2 -> max(2 + 4, 2 * 2) = 6, no more
    second = evaluate(
        decision_input(later, current=6, snapshot=hot, now=NOW + timedelta(seconds=5))
    )
    assert (second.action, second.replicas) == (Action.NO_CHANGE, 6)
    assert [r.replicas for r in second.recommendations] == [20, 60]
