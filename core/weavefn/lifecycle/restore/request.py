"""Asking for a restore (CLI, signed CI/CD request): check everything knowable, then record it.

Nothing changes unless every check passes: the request is refused with each reason (and the
field it concerns) when the cluster or Weaviate would refuse it. What passes is written as a
restore record in status.backups; the restore Step takes it up on the next pass, after any
operation in flight. Asking twice for the same restore is answered, not repeated.
"""

from __future__ import annotations

from datetime import datetime

from weavefn.errors import InvalidInputError, TerminalError
from weavefn.kube.port import KubeApi
from weavefn.lifecycle.restore.checks import (
    PathOf,
    RestoreAsk,
    Target,
    ask_errors,
    body_path,
    fact_errors,
    known_version,
    version_errors,
)
from weavefn.lifecycle.restore.read import read_facts
from weavefn.lifecycle.restore.records import pending_restore, restore_record, same_ask
from weavefn.lifecycle.restore.state import RestoreSource, RestoreState
from weavefn.model.keys import split_key
from weavefn.model.operations import RestoreOperation
from weavefn.model.resource import WeaviateCluster, parse_cluster
from weavefn.providers import backup_backend, backup_problem
from weavefn.reconcile.context import status_dict
from weavefn.render import selector_labels
from weavefn.triggers.model import RestoreRequest
from weavefn.weaviate.connect import WeaviateConnector


class RestoreConflictError(TerminalError):
    """Another restore is asked for or running on the cluster: one at a time."""


def ask_of_request(request: RestoreRequest, cluster: WeaviateCluster) -> RestoreAsk:
    return RestoreAsk(
        backend=request.backend or backup_backend(cluster) or "",
        backup_id=request.backup,
        include=tuple(request.include),
        exclude=tuple(request.exclude),
        node_mapping=dict(request.node_mapping),
        version=request.version,
    )


def _target(cluster: WeaviateCluster) -> Target:
    return Target(
        name=cluster.metadata.name,
        replicas=cluster.status.replicas or cluster.spec.replicas,
        backend=backup_backend(cluster),
        backend_problem=backup_problem(cluster),
    )


def _already(cluster: WeaviateCluster, ask: RestoreAsk) -> str | None:
    """What to answer when a restore is already asked for or running; None when none is."""
    operation = cluster.status.operation
    if isinstance(operation, RestoreOperation):
        running = RestoreState.of(operation).ask
        if (running.backend, running.backup_id, running.include, running.exclude) == (
            ask.backend,
            ask.backup_id,
            ask.include,
            ask.exclude,
        ):
            return f"{cluster.key}: already restoring {ask.backup_id}: {operation.message}"
        raise RestoreConflictError(
            f"{cluster.key} is restoring {running.backup_id}: one restore at a time"
        )
    pending = pending_restore(cluster.status)
    if pending is None:
        return None
    if same_ask(pending, ask):
        return f"{cluster.key}: restore of {ask.backup_id} already requested"
    raise RestoreConflictError(
        f"{cluster.key} already has a restore of {pending.id} waiting: one restore at a time"
    )


def request_restore(
    kube: KubeApi,
    connector: WeaviateConnector,
    request: RestoreRequest,
    *,
    now: datetime,
    path: PathOf = body_path,
) -> str:
    """Check the restore ``request`` asks for and record it; say what was done.

    Unknown cluster: NotFoundError. Refused: InvalidInputError, each problem under the name
    ``path`` gives its field. Another restore: RestoreConflictError. Weaviate unreachable:
    UnavailableError. The status write carries the resourceVersion everything was checked
    against, so a concurrent change fails it (ConflictError) instead of slipping through.
    """
    namespace, name = split_key(request.cluster)
    raw = kube.get_cluster(namespace, name)
    cluster = parse_cluster(raw)
    ask = ask_of_request(request, cluster)
    answered = _already(cluster, ask)
    if answered is not None:
        return answered
    errors = ask_errors(ask, _target(cluster), path=path)
    if errors:
        raise InvalidInputError(errors, what="restore request")
    pods = kube.list_objects("v1", "Pod", namespace=namespace, selector=selector_labels(cluster))
    api = connector.for_cluster(cluster, pods)
    facts = read_facts(api, ask, records=cluster.status.backups)
    version = known_version(ask, cluster.status.backups)
    running = facts.version or cluster.status.current_version
    errors = [
        *version_errors(ask, backup=version, cluster=running, path=path),
        *fact_errors(ask, facts, path=path),
    ]
    if errors:
        raise InvalidInputError(errors, what="restore request")
    status = cluster.status.model_copy(deep=True)
    record = restore_record(ask, version=version, source=RestoreSource.REQUEST, now=now)
    status.backups = [*status.backups, record]
    kube.replace_cluster_status({**raw, "status": status_dict(status)})
    then = (
        f"it starts once the {cluster.status.operation.kind} in flight ends"
        if cluster.status.operation is not None
        else "a reconcile pass starts it"
    )
    return f"{cluster.key}: restore of backup {ask.backup_id} ({ask.backend}) recorded; {then}"
