"""The Weaviate StatefulSet: the facts a running cluster depends on."""

from __future__ import annotations

from typing import Any

import pytest
from weavefn.errors import InvalidInputError
from weavefn.render import Rollout, render_all, render_statefulset, selector_labels

from tests.unit.render.conftest import build, env_of, load_example

VOTERS = ["demo-0", "demo-1", "demo-2"]


def _pod(statefulset: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = statefulset["spec"]["template"]["spec"]
    return pod


def _container(statefulset: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = _pod(statefulset)["containers"][0]
    return container


def test_cluster_membership_and_raft_come_from_names_and_given_voters() -> None:
    sts = render_statefulset(build(), voters=VOTERS)
    env = env_of(sts)
    assert sts["spec"]["serviceName"] == "demo-headless"
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    assert env["CLUSTER_HOSTNAME"] == {
        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}
    }
    assert env["CLUSTER_JOIN"] == "demo-headless.search.svc.cluster.local."
    assert (env["CLUSTER_GOSSIP_BIND_PORT"], env["CLUSTER_DATA_BIND_PORT"]) == ("7000", "7001")
    assert env["RAFT_JOIN"] == "demo-0,demo-1,demo-2"
    assert env["RAFT_BOOTSTRAP_EXPECT"] == "3"
    assert (env["RAFT_PORT"], env["RAFT_INTERNAL_RPC_PORT"]) == ("8300", "8301")


def test_voters_do_not_follow_the_replica_count() -> None:
    scaled = build({"replicas": 12, "autoScaling": {"maxReplicas": 20}})
    env = env_of(render_statefulset(scaled, voters=VOTERS))
    assert env["RAFT_JOIN"] == "demo-0,demo-1,demo-2"
    assert env["RAFT_BOOTSTRAP_EXPECT"] == "3"


def test_replicas_are_left_to_the_scaling_path_when_asked() -> None:
    cluster = build()
    assert render_statefulset(cluster, voters=VOTERS)["spec"]["replicas"] == 3
    assert (
        "replicas" not in render_statefulset(cluster, voters=VOTERS, include_replicas=False)["spec"]
    )
    sts = render_all(cluster, voters=VOTERS, include_replicas=False)[-1]
    assert sts["kind"] == "StatefulSet"
    assert "replicas" not in sts["spec"]


def test_upgrade_can_pin_the_image_and_partition() -> None:
    sts = render_statefulset(build(), voters=VOTERS, rollout=Rollout("1.33.0", partition=2))
    assert _container(sts)["image"] == "cr.weaviate.io/semitechnologies/weaviate:1.33.0"
    assert sts["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"partition": 2},
    }
    assert sts["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] == "1.33.0"
    default = render_statefulset(build(), voters=VOTERS)
    assert default["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 0
    assert _container(default)["image"].endswith(":1.32.5")


def test_data_survives_scale_in_and_deletion() -> None:
    sts = render_statefulset(
        build({"storage": {"size": "50Gi", "storageClassName": "ssd"}}), voters=VOTERS
    )
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "weaviate-data"
    assert claim["spec"]["resources"]["requests"]["storage"] == "50Gi"
    assert claim["spec"]["storageClassName"] == "ssd"
    assert {"name": "weaviate-data", "mountPath": "/var/lib/weaviate"} in _container(sts)[
        "volumeMounts"
    ]
    assert env_of(sts)["PERSISTENCE_DATA_PATH"] == "/var/lib/weaviate"


def test_probes_give_slow_recovery_time_before_liveness() -> None:
    container = _container(render_statefulset(build(), voters=VOTERS))
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 1800
    assert container["readinessProbe"]["httpGet"] == {"path": "/v1/.well-known/ready", "port": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/v1/.well-known/live", "port": 8080}


def test_pods_run_unprivileged_and_expose_metrics() -> None:
    sts = render_statefulset(build({"terminationGracePeriodSeconds": 900}), voters=VOTERS)
    pod, container = _pod(sts), _container(sts)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["fsGroup"]) == (1000, 1000)
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["terminationGracePeriodSeconds"] == 900
    assert {"name": "metrics", "containerPort": 2112, "protocol": "TCP"} in container["ports"]
    assert env_of(sts)["PROMETHEUS_MONITORING_ENABLED"] == "true"


def test_anti_affinity_is_merged_with_the_users_affinity() -> None:
    node_affinity = {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["db"]}]}
            ]
        }
    }
    cluster = build({"affinity": {"nodeAffinity": node_affinity}})
    affinity = _pod(render_statefulset(cluster, voters=VOTERS))["affinity"]
    assert affinity["nodeAffinity"] == node_affinity
    (term,) = affinity["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert term["podAffinityTerm"]["labelSelector"]["matchLabels"] == selector_labels(cluster)


def test_modules_credentials_come_from_secrets_never_literals() -> None:
    env = env_of(render_statefulset(load_example("production-aws.yaml"), voters=VOTERS))
    assert env["ENABLE_MODULES"] == "text2vec-openai,qna-transformers,backup-s3"
    assert env["DEFAULT_VECTORIZER_MODULE"] == "text2vec-openai"
    assert env["OPENAI_APIKEY"] == {
        "secretKeyRef": {"name": "openai-credentials", "key": "api-key"}
    }
    assert env["QNA_INFERENCE_API"] == "http://production-qna-transformers:8080"


@pytest.mark.parametrize(
    ("module", "config", "expected"),
    [
        pytest.param("text2vec-cohere", {"apiKey": "s"}, {"COHERE_APIKEY"}, id="known-table"),
        pytest.param(
            "text2vec-openai", {"organization": "acme"}, {"OPENAI_ORGANIZATION"}, id="known-plain"
        ),
        pytest.param(
            "text2vec-ollama",
            {"baseUrl": "http://x"},
            {"TEXT2VEC_OLLAMA_BASE_URL"},
            id="generic-fallback",
        ),
        pytest.param(
            "text2vec-openai",
            {"azureApiKey": {"secretKeyRef": {"name": "creds", "key": "azure"}}},
            {"AZURE_APIKEY"},
            id="azure-openai-through-text2vec-openai",
        ),
    ],
)
def test_module_config_becomes_weaviates_variable(
    module: str, config: dict[str, Any], expected: set[str]
) -> None:
    values = {
        k: {"secretKeyRef": {"name": "creds", "key": k}} if k == "apiKey" else v
        for k, v in config.items()
    }
    env = env_of(
        render_statefulset(build({"modules": [{"name": module, "config": values}]}), voters=VOTERS)
    )
    assert expected <= env.keys()


def test_two_modules_feeding_one_variable_differently_is_an_input_error() -> None:
    secret = {"secretKeyRef": {"name": "a", "key": "k"}}
    other = {"secretKeyRef": {"name": "b", "key": "k"}}
    cluster = build(
        {
            "modules": [
                {"name": "text2vec-openai", "config": {"apiKey": secret}},
                {"name": "generative-openai", "config": {"apiKey": other}},
            ]
        }
    )
    with pytest.raises(InvalidInputError) as caught:
        render_statefulset(cluster, voters=VOTERS)
    assert caught.value.errors[0].path == "spec.modules[1].config.apiKey"
    assert "OPENAI_APIKEY" in caught.value.errors[0].message


def test_api_key_auth_and_replication_settings() -> None:
    cluster = build(
        {
            "auth": {
                "apiKey": {"secretKeyRef": {"name": "keys", "key": "all"}},
                "users": ["app", "admin"],
            },
            "replication": {"factor": 2, "asyncEnabled": True, "replicaMovement": True},
        }
    )
    env = env_of(render_statefulset(cluster, voters=VOTERS))
    assert env["AUTHENTICATION_APIKEY_ENABLED"] == "true"
    assert env["AUTHENTICATION_APIKEY_ALLOWED_KEYS"] == {
        "secretKeyRef": {"name": "keys", "key": "all"}
    }
    assert env["AUTHENTICATION_APIKEY_USERS"] == "app,admin"
    assert env["AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED"] == "false"
    assert env["REPLICATION_MINIMUM_FACTOR"] == "2"
    assert "ASYNC_REPLICATION_DISABLED" not in env


@pytest.mark.parametrize(
    ("version", "movement", "expected"),
    [
        pytest.param("1.31.9", True, {}, id="before-1-32-nothing"),
        pytest.param("1.32.5", False, {"REPLICA_MOVEMENT_DISABLED": "true"}, id="1.32.5-off"),
        pytest.param("1.32.5", True, {"REPLICA_MOVEMENT_DISABLED": "false"}, id="1.32.5-on"),
        pytest.param("1.32.15", False, {"REPLICA_MOVEMENT_DISABLED": "true"}, id="1.32.15-off"),
        pytest.param("1.32.16", True, {"REPLICA_MOVEMENT_ENABLED": "true"}, id="1.32.16-on"),
        pytest.param("1.33.1", True, {"REPLICA_MOVEMENT_DISABLED": "false"}, id="1.33.1-on"),
        pytest.param("1.33.3", False, {"REPLICA_MOVEMENT_DISABLED": "true"}, id="1.33.3-off"),
        pytest.param("1.33.4", False, {"REPLICA_MOVEMENT_ENABLED": "false"}, id="1.33.4-off"),
        pytest.param("1.34.0", True, {"REPLICA_MOVEMENT_ENABLED": "true"}, id="1.34.0-on"),
    ],
)
def test_replica_movement_switch_is_the_variable_the_release_reads(
    version: str, movement: bool, expected: dict[str, str]
) -> None:
    # 1.32.0-1.32.15 and 1.33.0-1.33.3 read REPLICA_MOVEMENT_DISABLED (movement on unless set);
    # later releases read REPLICA_MOVEMENT_ENABLED (off unless set).
    cluster = build({"version": version, "replication": {"replicaMovement": movement}})
    env = env_of(render_statefulset(cluster, voters=VOTERS))
    assert {k: v for k, v in env.items() if k.startswith("REPLICA_MOVEMENT_")} == expected


def test_an_upgrade_across_the_switch_renders_it_for_the_pinned_image() -> None:
    # While 1.33.3 -> 1.33.4 rolls, the template is the new image's: pods on it read ENABLED.
    cluster = build({"version": "1.33.4", "replication": {"replicaMovement": True}})
    old = render_statefulset(cluster, voters=VOTERS, rollout=Rollout("1.33.3", 2))
    new = render_statefulset(cluster, voters=VOTERS, rollout=Rollout("1.33.4", 2))
    assert env_of(old)["REPLICA_MOVEMENT_DISABLED"] == "false"
    assert "REPLICA_MOVEMENT_ENABLED" not in env_of(old)
    assert env_of(new)["REPLICA_MOVEMENT_ENABLED"] == "true"
    assert _container(new)["image"].endswith(":1.33.4")


def test_user_env_is_kept_in_order_after_ours_and_overrides_by_name() -> None:
    cluster = build(
        {
            "env": [
                {"name": "QUERY_DEFAULTS_LIMIT", "value": "50"},
                {"name": "RAFT_PORT", "value": "9300"},
            ]
        }
    )
    env = _container(render_statefulset(cluster, voters=VOTERS))["env"]
    names = [e["name"] for e in env]
    assert names[-2:] == ["QUERY_DEFAULTS_LIMIT", "RAFT_PORT"]
    assert names.count("RAFT_PORT") == 1
    assert names[:-2] == sorted(names[:-2])


def test_placement_image_and_pod_metadata_from_the_spec() -> None:
    cluster = build(
        {
            "image": {"repository": "registry.local/weaviate", "pullPolicy": "Always"},
            "imagePullSecrets": [{"name": "regcred"}],
            "nodeSelector": {"pool": "db"},
            "tolerations": [{"key": "db", "operator": "Exists", "effect": "NoSchedule"}],
            "podAnnotations": {"example.com/team": "search"},
            "resources": {"requests": {"cpu": "1"}, "limits": {"memory": "4Gi"}},
        }
    )
    sts = render_statefulset(cluster, voters=VOTERS)
    pod, container = _pod(sts), _container(sts)
    assert container["image"] == "registry.local/weaviate:1.32.5"
    assert container["imagePullPolicy"] == "Always"
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["nodeSelector"] == {"pool": "db"}
    assert pod["tolerations"] == [{"key": "db", "operator": "Exists", "effect": "NoSchedule"}]
    assert sts["spec"]["template"]["metadata"]["annotations"] == {
        "example.com/team": "search",
        "prometheus.io/path": "/metrics",
        "prometheus.io/port": "2112",
        "prometheus.io/scrape": "true",
    }
    assert container["resources"] == {"requests": {"cpu": "1"}, "limits": {"memory": "4Gi"}}
    # Go's GC aims below the container limit instead of being OOM-killed at it.
    assert env_of(sts)["GOMEMLIMIT"] == "3686MiB"


def test_owner_reference_only_when_the_resource_exists() -> None:
    assert "ownerReferences" not in render_statefulset(build(), voters=VOTERS)["metadata"]
    owned = render_statefulset(build(uid="1234-abcd"), voters=VOTERS)["metadata"]["ownerReferences"]
    assert owned == [
        {
            "apiVersion": "weaviate.io/v1",
            "kind": "WeaviateCluster",
            "name": "demo",
            "uid": "1234-abcd",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
