"""Optional rebalancing after a scale-out (spec.autoScaling.rebalance): MOVE replicas onto the
new, emptier nodes a few at a time, as a Rebalance operation in status.

Weaviate puts no data on a node that joins; without this the new nodes serve no shard until a
collection is created. Each operation plans at most ``per_pass`` MOVEs; once they are done the
next pass plans again, until the plan is empty (phase Balanced) for the latest scale-out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from weavefn.autoscale.drain_plan import ordinal_key, replica_loads
from weavefn.autoscale.executor import current_replicas
from weavefn.autoscale.history import format_time, parse_time
from weavefn.autoscale.moves import (
    SETTLED,
    ApiFor,
    Move,
    MovePolicy,
    MoveRecord,
    MovingApi,
    count_done,
    run_moves,
)
from weavefn.errors import TerminalError, UnavailableError
from weavefn.model.operations import (
    MoveStage,
    OperationKind,
    RebalanceDetails,
    RebalanceOperation,
    RebalancePhase,
    UnreadableOperation,
)
from weavefn.model.status import WeaviateClusterStatus
from weavefn.reconcile.context import ClusterContext
from weavefn.reconcile.followup import Wait, poll
from weavefn.reconcile.summary import pod_ready
from weavefn.weaviate.port import NodeStatus, ShardingState


def plan_rebalance(
    sharding: ShardingState, *, nodes: Sequence[str], limit: int
) -> tuple[Move, ...]:
    """Up to ``limit`` MOVEs from the most to the least loaded nodes (pure, deterministic).

    A MOVE is planned only while the two differ by two replicas or more, so a balanced
    cluster plans nothing and no replica moves back and forth; no shard is moved twice in
    one plan (Weaviate runs one operation per shard) nor onto a node that holds it.
    """
    rank = {node: i for i, node in enumerate(sorted(nodes, key=ordinal_key))}
    loads = replica_loads(sharding, rank)
    holders = {
        (coll.collection, shard.shard): set(shard.replicas)
        for coll in sharding.collections
        for shard in coll.shards
    }
    moves: list[Move] = []
    while len(moves) < limit and rank:
        target = min(rank, key=lambda n: (loads[n], rank[n]))
        move = None
        for source in sorted(rank, key=lambda n: (-loads[n], rank[n])):
            if loads[source] - loads[target] < 2:
                break
            move = next(
                (
                    Move(coll, shard, source, target)
                    for (coll, shard), nodes_of in sorted(holders.items())
                    if source in nodes_of
                    and target not in nodes_of
                    and all((m.collection, m.shard) != (coll, shard) for m in moves)
                ),
                None,
            )
            if move is not None:
                break
        if move is None:
            break
        holders[(move.collection, move.shard)] |= {move.target}
        holders[(move.collection, move.shard)] -= {move.source}
        loads[move.source] -= 1
        loads[move.target] += 1
        moves.append(move)
    return tuple(moves)


def rebalance_due(status: WeaviateClusterStatus) -> str | None:
    """The time of the latest scale-out when it has not been balanced yet, else None."""
    events = status.autoscaling.scale_events
    if not events or (events[-1].change or 0) <= 0:
        return None
    scaled_at = parse_time(events[-1].time)
    last = status.last_operation
    if isinstance(last, RebalanceOperation) and scaled_at is not None:
        ended = parse_time(last.phase_started_at)
        finished = last.phase in (RebalancePhase.BALANCED, RebalancePhase.FAILED)
        if finished and ended is not None and ended >= scaled_at:
            return None
    return events[-1].time


@dataclass(frozen=True)
class RebalancePolicy:
    per_pass: int = 4
    moves: MovePolicy = field(default_factory=MovePolicy)


class Rebalancer:
    """The Step: start a bounded rebalance after a scale-out, advance one that runs."""

    def __init__(self, api_for: ApiFor, *, policy: RebalancePolicy | None = None) -> None:
        self.api_for = api_for
        self.policy = policy or RebalancePolicy()

    def __call__(self, ctx: ClusterContext) -> None:
        operation = ctx.status.operation
        try:
            if isinstance(operation, UnreadableOperation) and operation.is_kind(
                OperationKind.REBALANCE
            ):
                self._end(
                    ctx,
                    RebalancePhase.FAILED,
                    (),
                    message=f"unreadable details ({operation.problem})",
                )
            elif isinstance(operation, RebalanceOperation):
                self._advance(ctx, self.api_for(ctx), operation)
            elif operation is None and self._wanted(ctx):
                self._start(ctx, self.api_for(ctx))
        except (UnavailableError, TerminalError) as exc:
            # Rebalancing is an optimisation: it never fails a pass.
            ctx.actions.append(f"rebalance waits: {exc}")

    def _wanted(self, ctx: ClusterContext) -> bool:
        spec = ctx.cluster.spec
        if spec.auto_scaling is None or not spec.auto_scaling.rebalance:
            return False
        if not spec.replication.replica_movement or rebalance_due(ctx.status) is None:
            return False
        # Only once the scale-out is visible and every new pod serves.
        events = ctx.status.autoscaling.scale_events
        current = current_replicas(ctx)
        ready = [p for p in ctx.live.pods if pod_ready(p)]
        return current == events[-1].replicas and len(ready) == current

    def _start(self, ctx: ClusterContext, api: MovingApi) -> None:
        pods = {p["metadata"]["name"] for p in ctx.live.pods if pod_ready(p)}
        healthy = [n.name for n in api.nodes() if n.status is NodeStatus.HEALTHY]
        plan = plan_rebalance(
            api.sharding_state(),
            nodes=[n for n in healthy if n in pods],
            limit=self.policy.per_pass,
        )
        now = format_time(ctx.now)
        if not plan:
            ctx.status.last_operation = RebalanceOperation(
                phase=RebalancePhase.BALANCED,
                started_at=now,
                phase_started_at=now,
                message="replicas are balanced across the nodes",
            )
            return
        records = tuple(MoveRecord(m) for m in plan)
        self._save(ctx, RebalancePhase.MOVING, records, started_at=now)
        ctx.actions.append(f"rebalance: moving {len(plan)} replica(s) onto emptier nodes")
        operation = ctx.status.operation
        assert isinstance(operation, RebalanceOperation)
        self._advance(ctx, api, operation)

    def _advance(self, ctx: ClusterContext, api: MovingApi, operation: RebalanceOperation) -> None:
        records = tuple(MoveRecord.of(m) for m in operation.details.moves or ())

        def save(found: tuple[MoveRecord, ...]) -> None:
            self._save(ctx, RebalancePhase.MOVING, found, started_at=operation.started_at)

        records = run_moves(api, records, policy=self.policy.moves, now=ctx.now, save=save)
        failed = next((r for r in records if r.stage is MoveStage.FAILED), None)
        if failed is not None:
            text = f"MOVE {failed.move.collection}/{failed.move.shard} failed: {failed.error}"
            self._end(ctx, RebalancePhase.FAILED, records, message=text)
        elif all(r.stage in SETTLED for r in records):
            self._end(ctx, RebalancePhase.MOVED, records)
        else:
            save(records)
            done = f"rebalance: {count_done(records)}/{len(records)} replicas moved"
            ctx.check_again(poll(Wait.REPLICA_MOVE, done, now=ctx.now))

    def _end(
        self,
        ctx: ClusterContext,
        phase: RebalancePhase,
        records: tuple[MoveRecord, ...],
        *,
        message: str | None = None,
    ) -> None:
        started = ctx.status.operation.started_at if ctx.status.operation else format_time(ctx.now)
        self._save(ctx, phase, records, started_at=started, message=message)
        ctx.status.last_operation = ctx.status.operation
        ctx.status.operation = None
        ctx.save_status()

    def _save(
        self,
        ctx: ClusterContext,
        phase: RebalancePhase,
        records: tuple[MoveRecord, ...],
        *,
        started_at: str,
        message: str | None = None,
    ) -> None:
        targets = sorted({r.move.target for r in records}, key=ordinal_key)
        progress = f"{count_done(records)}/{len(records)} replicas onto {', '.join(targets)}"
        previous = ctx.status.operation
        same = previous is not None and previous.phase == phase
        ctx.status.operation = RebalanceOperation(
            phase=phase,
            started_at=started_at,
            phase_started_at=previous.phase_started_at
            if same and previous
            else format_time(ctx.now),
            message=message or progress,
            details=RebalanceDetails(moves=[r.details() for r in records]),
        )
        ctx.save_status()
