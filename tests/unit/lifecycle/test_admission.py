"""The WeaviateCluster admission webhook, driven with AdmissionReview documents as the API server sends them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from weavefn.lifecycle.admission import MAX_REVIEW_BYTES, review

from tests.unit.lifecycle.reviews import (
    AUTOSCALING,
    BASE,
    CREATE,
    DELETE,
    SECRET_VALUE,
    UID,
    admission,
    cluster,
    update,
    with_,
)

AZURE_TARGET = {"storageAccount": "acct1", "container": "backups"}
AZURE_NO_KEY = cluster(cloudProvider={"type": "azure", "azure": {"backup": AZURE_TARGET}})
AZURE_WITH_KEY = {
    "type": "azure",
    "azure": {
        "backup": {**AZURE_TARGET, "accountKey": {"secretKeyRef": {"name": "b", "key": "k"}}}
    },
}
SKIP = {"weaviate.io/skip-backup": "true"}


@dataclass(frozen=True)
class Case:
    body: Any
    http: int = 200
    allowed: bool = True
    code: int | None = None
    says: tuple[str, ...] = ()
    enqueue: str | None = None
    warns: tuple[str, ...] = ()
    uid: str = UID
    never_says: tuple[str, ...] = field(default=(SECRET_VALUE,))


def denied(body: Any, *says: str) -> Case:
    return Case(body, allowed=False, code=422, says=says)


def malformed(body: Any, *says: str, uid: str = "", http: int = 400) -> Case:
    return Case(body, http=http, allowed=False, code=http, says=says, uid=uid)


CASES = [
    pytest.param(Case(CREATE, enqueue="prod/wv"), id="create-valid"),
    pytest.param(Case(json.dumps(CREATE), enqueue="prod/wv"), id="create-valid-as-text"),
    pytest.param(Case(json.dumps(CREATE).encode(), enqueue="prod/wv"), id="create-valid-as-bytes"),
    pytest.param(
        Case(admission("CREATE", cluster(namespace=None), namespace="team-a"), enqueue="team-a/wv"),
        id="create-namespace-from-request",
    ),
    pytest.param(Case(update(BASE, replicas=4), enqueue="prod/wv"), id="update-valid"),
    pytest.param(
        Case(admission("UPDATE", cluster(), BASE)), id="update-spec-unchanged-not-enqueued"
    ),
    pytest.param(
        denied(admission("CREATE", cluster(replicas=0)), "spec.replicas"), id="bad-replicas"
    ),
    pytest.param(
        denied(admission("CREATE", cluster(storage={"size": "ten gigs"})), "spec.storage.size"),
        id="bad-quantity",
    ),
    pytest.param(
        denied(admission("CREATE", cluster(colour="blue")), "spec.colour"), id="unknown-field"
    ),
    pytest.param(
        denied(admission("CREATE", cluster(name="Bad_Name")), "metadata.name"), id="bad-name"
    ),
    pytest.param(
        denied(
            admission("CREATE", cluster(autoScaling={**AUTOSCALING, "minReplicas": 7})),
            "spec.autoScaling.minReplicas",
        ),
        id="cross-field-min-above-max",
    ),
    pytest.param(
        denied(admission("CREATE", cluster(voters=2)), "spec.voters", "odd"), id="even-voters"
    ),
    pytest.param(
        denied(
            admission("CREATE", cluster(env=[{"name": "OPENAI_APIKEY", "value": SECRET_VALUE}])),
            "spec.env[0].value",
        ),
        id="literal-credential-not-echoed",
    ),
    pytest.param(
        denied(
            admission("CREATE", cluster(replicas=0, storage={"size": "-1Gi"}, image=5)),
            "spec.replicas",
            "spec.storage.size",
            "spec.image",
        ),
        id="every-error-listed",
    ),
    pytest.param(
        denied(
            admission("CREATE", cluster(modules=[{"name": "text2vec-azure-openai"}])),
            "spec.modules[0].name",
            "served by text2vec-openai",
            "known text2vec modules",
            "text2vec-weaviate",
        ),
        id="module-unknown-to-the-version",
    ),
    pytest.param(
        Case(
            admission("CREATE", cluster(version="1.40.1", modules=[{"name": "text2vec-next"}])),
            enqueue="prod/wv",
            warns=("text2vec-next is unknown up to Weaviate 1.39",),
        ),
        id="module-on-a-release-newer-than-known-warns",
    ),
    pytest.param(
        Case(
            admission("CREATE", cluster(replication={"factor": 2, "replicaMovement": True})),
            enqueue="prod/wv",
            warns=("replicaMovement needs Weaviate 1.32.0+",),
        ),
        id="replica-movement-before-1-32-warns",
    ),
    pytest.param(
        Case(
            update(AZURE_NO_KEY, version="1.27.4"),
            allowed=False,
            code=422,
            says=(
                "spec.cloudProvider.azure.backup",
                "starts an upgrade with a backup",
                "accountKey or connectionString",
            ),
            warns=("no credential",),
        ),
        id="upgrade-with-an-azure-backup-that-cannot-authenticate",
    ),
    pytest.param(
        Case(
            update(AZURE_NO_KEY, replicas=4),
            enqueue="prod/wv",
            warns=("spec.cloudProvider.azure.backup: no credential",),
        ),
        id="azure-backup-without-credential-warns-on-other-changes",
    ),
    pytest.param(
        Case(
            update(
                cluster(cloudProvider=AZURE_NO_KEY["spec"]["cloudProvider"], annotations=SKIP),
                version="1.27.4",
            ),
            enqueue="prod/wv",
        ),
        id="upgrade-without-backup-acknowledged",
    ),
    pytest.param(
        Case(update(cluster(cloudProvider=AZURE_WITH_KEY), version="1.27.4"), enqueue="prod/wv"),
        id="upgrade-with-an-azure-key",
    ),
    pytest.param(
        denied(admission("CREATE", cluster(version="v1.27.3")), "spec.version", "no 'v'"),
        id="version-v-prefix",
    ),
    pytest.param(
        denied(update(BASE, version="v1.27.4"), "spec.version", "no 'v'"),
        id="version-v-prefix-on-update",
    ),
    pytest.param(
        denied(admission("CREATE", cluster(version="1.24.9")), "spec.version", "1.25"),
        id="version-before-raft",
    ),
    pytest.param(
        denied(admission("CREATE", cluster(version="1.27")), "spec.version"),
        id="version-not-semver",
    ),
    pytest.param(
        denied(update(cluster(version="1.26.4"), version="1.28.1"), "spec.version", "1.27"),
        id="version-skips-minor",
    ),
    pytest.param(
        denied(update(BASE, version="1.26.9"), "spec.version", "downgrade"),
        id="version-minor-downgrade",
    ),
    pytest.param(
        Case(update(BASE, version="1.27.1"), enqueue="prod/wv"), id="version-patch-downgrade"
    ),
    pytest.param(
        denied(
            update(cluster(version="1.24.9"), version="1.25.2"),
            "Raft",
            "weaviate.io/allow-downtime",
        ),
        id="version-raft-needs-downtime",
    ),
    pytest.param(
        Case(
            admission(
                "UPDATE",
                cluster(version="1.25.2", annotations={"weaviate.io/allow-downtime": "true"}),
                cluster(version="1.24.9"),
            ),
            enqueue="prod/wv",
        ),
        id="version-raft-downtime-allowed",
    ),
    pytest.param(denied(update(BASE, version="2.0.0"), "major"), id="version-major"),
    pytest.param(
        denied(
            update(BASE, storage={"size": "100Gi", "storageClassName": "io2"}), "storageClassName"
        ),
        id="storage-class-immutable",
    ),
    pytest.param(
        denied(
            update(BASE, storage={"size": "50Gi", "storageClassName": "gp3"}),
            "spec.storage.size",
            "shrink",
        ),
        id="storage-shrink",
    ),
    pytest.param(
        Case(update(BASE, storage={"size": "0.5Ti", "storageClassName": "gp3"}), enqueue="prod/wv"),
        id="storage-grow",
    ),
    pytest.param(
        denied(update(cluster(voters=3), voters=1), "spec.voters", "fixed"), id="voters-change"
    ),
    pytest.param(Case(update(BASE, voters=3), enqueue="prod/wv"), id="voters-written-as-in-effect"),
    pytest.param(
        denied(
            update(cluster(status={"voters": ["wv-0"]}), voters=3), "spec.voters", "1 in effect"
        ),
        id="voters-status-is-authority",
    ),
    pytest.param(
        Case(admission("CREATE", cluster(replicas=1)), enqueue="prod/wv", warns=("downtime",)),
        id="warn-single-replica",
    ),
    pytest.param(
        Case(
            admission(
                "CREATE",
                cluster(
                    replicas=4, autoScaling={**AUTOSCALING, "minReplicas": 2, "maxReplicas": 8}
                ),
            ),
            enqueue="prod/wv",
            warns=("below the 3 Raft voters",),
        ),
        id="warn-min-replicas-below-voters",
    ),
    pytest.param(
        Case(
            admission("CREATE", cluster(replication={"factor": 1})),
            enqueue="prod/wv",
            warns=("zero-downtime",),
        ),
        id="warn-replication-factor",
    ),
    pytest.param(
        Case(
            admission("CREATE", cluster(vmMaxMapCount={})),
            enqueue="prod/wv",
            warns=("spec.vmMaxMapCount.setBy is unset",),
        ),
        id="warn-max-map-count-left-to-the-node",
    ),
    pytest.param(
        Case(
            admission("CREATE", cluster(internalAuth={"enabled": False})),
            enqueue="prod/wv",
            warns=("port 7001",),
        ),
        id="warn-internal-api-open",
    ),
    pytest.param(
        Case(
            admission("CREATE", cluster(service={"type": "LoadBalancer"})),
            enqueue="prod/wv",
            warns=("Weaviate 1.27.3 serves /v1/cluster/remove on 8080 with no auth",),
        ),
        id="warn-raft-routes-behind-a-load-balancer",
    ),
    pytest.param(
        Case(
            admission("CREATE", cluster(version="1.34.5", service={"type": "LoadBalancer"})),
            enqueue="prod/wv",
        ),
        id="load-balancer-on-a-release-without-public-raft-routes",
    ),
    pytest.param(Case(admission("CREATE", BASE, dry_run=True)), id="dry-run-not-enqueued"),
    pytest.param(Case(admission("DELETE", None, BASE)), id="delete-untouched"),
    pytest.param(Case(admission("CONNECT", None)), id="unknown-operation-untouched"),
    pytest.param(malformed(b"{not json", "not JSON"), id="malformed-not-json"),
    pytest.param(malformed(b"\xff\xfe", "not JSON"), id="malformed-not-utf8"),
    pytest.param(malformed("[1, 2]", "not a JSON object"), id="malformed-json-array"),
    pytest.param(
        malformed(with_(CREATE, "request.uid", DELETE), "request.uid"), id="malformed-missing-uid"
    ),
    pytest.param(
        malformed(with_(CREATE, "request", None), "request"), id="malformed-missing-request"
    ),
    pytest.param(
        malformed(with_(CREATE, "kind", "AdmissionResponse"), "AdmissionReview", uid=UID),
        id="malformed-kind",
    ),
    pytest.param(
        malformed(
            with_(CREATE, "apiVersion", "admission.k8s.io/v1beta1"), "admission.k8s.io/v1", uid=UID
        ),
        id="malformed-api-version",
    ),
    pytest.param(
        malformed(
            with_(CREATE, "request.object", {"apiVersion": "apps/v1", "kind": "Deployment"}),
            "not a weaviate.io/v1 WeaviateCluster",
            uid=UID,
        ),
        id="malformed-object-not-a-cluster",
    ),
    pytest.param(
        malformed(with_(CREATE, "request.object", None), "request.object", uid=UID),
        id="malformed-no-object",
    ),
    pytest.param(
        malformed(
            update(BASE) | {"request": {**update(BASE)["request"], "oldObject": None}},
            "oldObject",
            uid=UID,
        ),
        id="malformed-update-without-old-object",
    ),
    pytest.param(
        malformed(b'{"pad": "' + b"x" * MAX_REVIEW_BYTES + b'"}', "exceeds", http=413),
        id="oversize",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_review(case: Case) -> None:
    result = review(case.body)
    answer = result.response
    assert answer["apiVersion"] == "admission.k8s.io/v1"
    assert answer["kind"] == "AdmissionReview"
    assert answer["response"]["uid"] == case.uid
    assert result.http_status == case.http
    assert result.allowed is case.allowed
    assert result.enqueue == case.enqueue
    if case.allowed:
        assert "status" not in answer["response"]
    else:
        assert answer["response"]["status"]["code"] == case.code
    for fragment in case.says:
        assert fragment in result.message
    for fragment in case.never_says:
        assert fragment not in json.dumps(answer)
    for fragment in case.warns:
        assert any(fragment in w for w in result.warnings), result.warnings
    if not case.warns:
        assert result.warnings == []
    assert all(len(w) < 120 for w in result.warnings)


def test_all_warnings_at_once_stay_short() -> None:
    risky = cluster(
        replicas=1, autoScaling={**AUTOSCALING, "minReplicas": 1, "maxReplicas": 9}, voters=1
    )
    result = review(admission("CREATE", risky))
    assert result.allowed
    assert result.warnings
    assert all(len(w) < 120 for w in result.warnings)


def test_denial_message_stays_short_with_many_errors() -> None:
    noisy = cluster()
    noisy["spec"].update({f"unknown{i}": i for i in range(60)})
    result = review(admission("CREATE", noisy))
    assert not result.allowed
    assert len(result.message) <= 1000
    assert "more" in result.message


def test_review_is_json_serialisable_as_sent_to_the_api_server() -> None:
    result = review(update(BASE, version="1.29.0"))
    assert json.loads(json.dumps(result.response)) == result.response
