"""Bad manifests are refused with every problem named by its field path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from weavefn.errors import InvalidInputError
from weavefn.model.resource import parse_cluster
from weavefn.render import default_voters, render_all

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
PRODUCTION = yaml.safe_load((ROOT / "examples" / "production-aws.yaml").read_text())


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_validates_and_renders(example: Path) -> None:
    cluster = parse_cluster(yaml.safe_load(example.read_text()))
    voters = default_voters(cluster.metadata.name, cluster.spec.replicas, cluster.spec.voters)
    objects = render_all(cluster, voters=voters)
    assert objects[-1]["kind"] == "StatefulSet"


def test_production_example_is_the_documented_one() -> None:
    spec = parse_cluster(PRODUCTION).spec
    assert (spec.version, spec.replicas) == ("1.27.0", 3)
    assert spec.auto_scaling is not None
    assert (spec.auto_scaling.min_replicas, spec.auto_scaling.max_replicas) == (3, 10)
    assert spec.auto_scaling.target_latency == "50ms"
    assert [m.name for m in spec.modules] == ["text2vec-openai", "qna-transformers"]
    assert spec.cloud_provider is not None and spec.cloud_provider.aws is not None
    assert spec.cloud_provider.aws.backup is not None
    assert spec.cloud_provider.aws.backup.bucket == "weaviate-backups-prod"
    assert spec.service_mesh.enabled and spec.service_mesh.mtls


def _set(raw: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = raw
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


_DELETE = object()
SECRET = {"secretKeyRef": {"name": "s", "key": "k"}}

INVALID = [
    pytest.param("spec.version", "1.27", "spec.version", id="version-not-semver"),
    pytest.param("spec.version", "v1.27.0", "spec.version", id="version-v-prefix"),
    pytest.param("spec.version", "1.24.9", "spec.version", id="version-before-raft"),
    pytest.param("spec.replicas", 0, "spec.replicas", id="zero-replicas"),
    pytest.param("spec.replicas", "three", "spec.replicas", id="replicas-not-int"),
    pytest.param("spec.storage.size", "100 GB", "spec.storage.size", id="bad-quantity"),
    pytest.param("spec.storage.size", _DELETE, "spec.storage.size", id="storage-size-missing"),
    pytest.param(
        "spec.resources.requests.memory", "lots", "spec.resources.requests.memory", id="bad-memory"
    ),
    pytest.param(
        "spec.resources.requests.cpu",
        "8000m",
        "spec.resources.requests.cpu",
        id="request-above-limit",
    ),
    pytest.param(
        "spec.autoScaling.minReplicas", 11, "spec.autoScaling.minReplicas", id="min-above-max"
    ),
    pytest.param(
        "spec.autoScaling.targetCPU", 150, "spec.autoScaling.targetCPU", id="cpu-target-over-100"
    ),
    pytest.param(
        "spec.autoScaling.targetLatency",
        "fast",
        "spec.autoScaling.targetLatency",
        id="bad-duration",
    ),
    pytest.param("spec.replicas", 12, "spec.replicas", id="replicas-above-max"),
    pytest.param(
        "spec.modules.0.config.apiKey",
        "sk-live-123",
        "spec.modules[0].config",
        id="literal-api-key",
    ),
    pytest.param(
        "spec.modules.1.name", "text2vec-openai", "spec.modules[1].name", id="duplicate-module"
    ),
    pytest.param("spec.modules.0.name", "Text2Vec", "spec.modules[0].name", id="module-name-case"),
    pytest.param(
        "spec.modules.0.name",
        "text2vec-azure-openai",
        "spec.modules[0].name",
        id="module-that-does-not-exist",
    ),
    pytest.param(
        "spec.modules.0.name",
        "text2vec-model2vec",
        "spec.modules[0].name",
        id="module-newer-than-the-version",
    ),
    pytest.param(
        "spec.cloudProvider.type", "oracle", "spec.cloudProvider.type", id="unknown-cloud"
    ),
    pytest.param("spec.cloudProvider.gcp", {}, "spec.cloudProvider.gcp", id="cloud-block-mismatch"),
    pytest.param(
        "spec.cloudProvider.aws.iops", 100, "spec.cloudProvider.aws.iops", id="iops-too-low"
    ),
    pytest.param("spec.serviceMesh.type", "consul", "spec.serviceMesh.type", id="unknown-mesh"),
    pytest.param("spec.voters", 2, "spec.voters", id="even-voters"),
    pytest.param("spec.storage.provisionStorageClass", True, None, id="provision-needs-name"),
    pytest.param("spec.unknownField", 1, "spec.unknownField", id="unknown-field"),
    pytest.param("metadata.name", "Production_1", "metadata.name", id="bad-name"),
    pytest.param(
        "spec.env",
        [{"name": "MY_TOKEN", "value": "x"}],
        "spec.env[0].value",
        id="literal-env-secret",
    ),
    pytest.param("spec.backup", {"schedule": "every day"}, "spec.backup.schedule", id="bad-cron"),
    pytest.param(
        "spec.cloudProvider",
        {
            "type": "azure",
            "azure": {
                "backup": {
                    "storageAccount": "acct1",
                    "container": "bk-1",
                    "accountKey": SECRET,
                    "connectionString": SECRET,
                }
            },
        },
        "spec.cloudProvider.azure.backup.connectionString",
        id="azure-key-and-connection-string",
    ),
    pytest.param(
        "spec.cloudProvider",
        {
            "type": "azure",
            "azure": {"backup": {"storageAccount": "a1b", "container": "bk-1", "accountKey": "k"}},
        },
        "spec.cloudProvider.azure.backup.accountKey",
        id="azure-key-literal",
    ),
]


@pytest.mark.parametrize(("path", "value", "expected"), INVALID)
def test_invalid_spec_names_the_field(path: str, value: Any, expected: str | None) -> None:
    raw = copy.deepcopy(PRODUCTION)
    if expected is None:
        del raw["spec"]["storage"]["storageClassName"]
        expected = "spec.storage.storageClassName"
    _set(raw, path, value)
    with pytest.raises(InvalidInputError) as caught:
        parse_cluster(raw)
    # The first error is the field to fix; a second may follow from it (e.g. replicas 0 is also
    # below minReplicas).
    assert caught.value.errors[0].path == expected, caught.value.errors
    assert "sk-live-123" not in str(caught.value)


def test_all_problems_are_reported_at_once() -> None:
    raw = copy.deepcopy(PRODUCTION)
    raw["spec"]["replicas"] = 0
    raw["spec"]["storage"]["size"] = "big"
    with pytest.raises(InvalidInputError) as caught:
        parse_cluster(raw)
    assert {"spec.replicas", "spec.storage.size"} <= {e.path for e in caught.value.errors}


@pytest.mark.parametrize(
    ("version", "fragment"),
    [
        pytest.param("v1.27.0", "the image tag has no 'v': 1.27.0", id="v-prefix"),
        pytest.param("1.24.9", "older than 1.25", id="before-raft"),
    ],
)
def test_versions_weavefn_cannot_run_are_refused(version: str, fragment: str) -> None:
    # v1.27.0 would render the image weaviate:v1.27.0, which does not exist; 1.24 has no Raft
    # settings although every rendered StatefulSet carries them.
    raw = copy.deepcopy(PRODUCTION)
    raw["spec"]["version"] = version
    with pytest.raises(InvalidInputError) as caught:
        parse_cluster(raw)
    assert [(e.path, fragment in e.message) for e in caught.value.errors] == [
        ("spec.version", True)
    ]


def test_an_unknown_module_is_refused_with_the_known_ones_listed() -> None:
    # Weaviate ignores a name it does not know: the cluster would quietly run without it.
    raw = copy.deepcopy(PRODUCTION)
    raw["spec"]["modules"].append({"name": "generative-azure-openai"})
    with pytest.raises(InvalidInputError) as caught:
        parse_cluster(raw)
    [error] = caught.value.errors
    assert error.path == "spec.modules[2].name"
    assert "Azure OpenAI is served by generative-openai" in error.message
    assert "known generative modules: generative-anthropic," in error.message
