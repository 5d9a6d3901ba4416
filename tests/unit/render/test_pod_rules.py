"""The production rules of the Weaviate pod: one test per rule, each read from Weaviate's source."""

from __future__ import annotations

from typing import Any

import pytest
from weavefn.errors import InvalidInputError
from weavefn.render import PodAuth, Rollout, render_statefulset

from tests.unit.render.conftest import build, env_of

VOTERS = ["demo-0", "demo-1", "demo-2"]


def _pod(statefulset: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = statefulset["spec"]["template"]["spec"]
    return pod


# -- internal cluster API auth -----------------------------------------------------------------


def test_a_new_cluster_guards_its_internal_api_with_a_secret_it_never_sees() -> None:
    env = env_of(render_statefulset(build(), voters=VOTERS))
    assert env["CLUSTER_BASIC_AUTH_USERNAME"] == {
        "secretKeyRef": {"name": "demo-cluster-auth", "key": "username"}
    }
    assert env["CLUSTER_BASIC_AUTH_PASSWORD"] == {
        "secretKeyRef": {"name": "demo-cluster-auth", "key": "password"}
    }


@pytest.mark.parametrize(
    ("spec", "auth", "secret"),
    [
        pytest.param({"internalAuth": {"enabled": False}}, None, None, id="spec-off"),
        pytest.param(
            {"internalAuth": {"secretName": "mine"}}, None, "mine", id="secret-named-in-spec"
        ),
        pytest.param({}, PodAuth(None), None, id="running-cluster-not-switched-yet"),
        pytest.param(
            {"internalAuth": {"enabled": False}}, PodAuth("kept"), "kept", id="status-wins"
        ),
    ],
)
def test_internal_auth_follows_what_the_pods_run(
    spec: dict[str, Any], auth: PodAuth | None, secret: str | None
) -> None:
    env = env_of(render_statefulset(build(spec), voters=VOTERS, auth=auth))
    found = env.get("CLUSTER_BASIC_AUTH_PASSWORD")
    assert (found["secretKeyRef"]["name"] if found else None) == secret


# -- async replication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replication", "rendered"),
    [
        pytest.param({}, None, id="absent-each-collection-decides"),
        pytest.param({"asyncEnabled": True}, None, id="true-each-collection-decides"),
        pytest.param({"asyncEnabled": False}, "true", id="explicit-opt-out-kill-switch"),
    ],
)
def test_async_replication_switch_only_on_an_explicit_opt_out(
    replication: dict[str, Any], rendered: str | None
) -> None:
    cluster = build({"replication": {"factor": 3, **replication}})
    assert env_of(render_statefulset(cluster, voters=VOTERS)).get("ASYNC_REPLICATION_DISABLED") == (
        rendered
    )


# -- GOMAXPROCS ----------------------------------------------------------------------------------

GOMAXPROCS = {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}}


@pytest.mark.parametrize(
    ("version", "limits", "expected"),
    [
        pytest.param("1.27.0", {"cpu": "4000m"}, GOMAXPROCS, id="go-1.22-follows-the-limit"),
        pytest.param("1.34.10", {"cpu": "500m"}, GOMAXPROCS, id="go-1.24-half-cpu-rounds-to-1"),
        pytest.param("1.35.0", {"cpu": "4"}, None, id="go-1.25-runtime-reads-the-limit"),
        pytest.param("1.27.0", {"memory": "4Gi"}, None, id="no-cpu-limit-nothing-to-follow"),
        pytest.param("1.27.0", {"cpu": "0"}, None, id="zero-limit-never-gomaxprocs-0"),
    ],
)
def test_gomaxprocs_from_the_cpu_limit_where_go_ignores_it(
    version: str, limits: dict[str, str], expected: dict[str, Any] | None
) -> None:
    cluster = build({"version": version, "resources": {"limits": limits}})
    assert env_of(render_statefulset(cluster, voters=VOTERS)).get("GOMAXPROCS") == expected


def test_gomaxprocs_follows_the_version_each_pod_runs_across_an_upgrade() -> None:
    cluster = build({"version": "1.35.0", "resources": {"limits": {"cpu": "2"}}})
    old = render_statefulset(cluster, voters=VOTERS, rollout=Rollout("1.34.10", 2))
    new = render_statefulset(cluster, voters=VOTERS, rollout=Rollout("1.35.0", 2))
    assert "GOMAXPROCS" in env_of(old)
    assert "GOMAXPROCS" not in env_of(new)


def test_the_user_s_gomaxprocs_wins() -> None:
    cluster = build(
        {"resources": {"limits": {"cpu": "4"}}, "env": [{"name": "GOMAXPROCS", "value": "3"}]}
    )
    assert env_of(render_statefulset(cluster, voters=VOTERS))["GOMAXPROCS"] == "3"


# -- vm.max_map_count ----------------------------------------------------------------------------


def test_max_map_count_init_container_is_opt_in_privileged_and_pinned() -> None:
    assert "initContainers" not in _pod(render_statefulset(build(), voters=VOTERS))
    node_pool = build({"vmMaxMapCount": {"setBy": "NodePool"}})
    assert "initContainers" not in _pod(render_statefulset(node_pool, voters=VOTERS))
    cluster = build({"vmMaxMapCount": {"setBy": "InitContainer", "value": 262144}})
    (init,) = _pod(render_statefulset(cluster, voters=VOTERS))["initContainers"]
    assert init["image"] == "docker.io/library/busybox:1.37.0"
    assert init["securityContext"] == {"privileged": True, "runAsUser": 0, "runAsNonRoot": False}
    # raises, never lowers: a node already above keeps its value
    assert init["command"] == [
        "sh",
        "-c",
        '[ "$(sysctl -n vm.max_map_count)" -ge 262144 ] || sysctl -w vm.max_map_count=262144',
    ]
    assert init["resources"]["limits"] == {"cpu": "100m", "memory": "32Mi"}


@pytest.mark.parametrize(
    ("image", "accepted"),
    [
        pytest.param("docker.io/library/busybox:1.37.0", True, id="exact-tag"),
        pytest.param("registry.local:5000/tools/busybox:1.36.1", True, id="registry-port"),
        pytest.param("busybox@sha256:" + "a" * 64, True, id="digest"),
        pytest.param("busybox", False, id="no-tag"),
        pytest.param("busybox:latest", False, id="latest"),
        pytest.param("registry.local:5000/busybox", False, id="port-is-not-a-tag"),
        pytest.param("busybox@sha256:abc", False, id="short-digest"),
    ],
)
def test_the_init_container_image_must_be_pinned(image: str, accepted: bool) -> None:
    spec = {"vmMaxMapCount": {"setBy": "InitContainer", "image": image}}
    if accepted:
        build(spec)
        return
    with pytest.raises(InvalidInputError) as caught:
        build(spec)
    assert caught.value.errors[0].path == "spec.vmMaxMapCount.image"
    assert "pin the image" in caught.value.errors[0].message


# -- zones ---------------------------------------------------------------------------------------

SELECTOR = {
    "matchLabels": {
        "app.kubernetes.io/name": "weaviate",
        "app.kubernetes.io/instance": "demo",
        "app.kubernetes.io/component": "database",
    }
}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, None, id="factor-1-nothing-to-spread"),
        pytest.param(
            {"replication": {"factor": 2}},
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": SELECTOR,
            },
            id="factor-2-soft-zone-spread",
        ),
        pytest.param(
            {
                "replication": {"factor": 3},
                "zoneSpread": {"whenUnsatisfiable": "DoNotSchedule", "maxSkew": 2},
            },
            {
                "maxSkew": 2,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": SELECTOR,
            },
            id="tuned-hard",
        ),
        pytest.param(
            {"replication": {"factor": 3}, "zoneSpread": {"enabled": False}},
            None,
            id="switched-off",
        ),
        pytest.param(
            {"zoneSpread": {"enabled": True, "topologyKey": "example.com/rack"}},
            {
                "maxSkew": 1,
                "topologyKey": "example.com/rack",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": SELECTOR,
            },
            id="forced-on-another-key",
        ),
    ],
)
def test_replicas_spread_over_zones_from_factor_2(
    spec: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    pod = _pod(render_statefulset(build(spec), voters=VOTERS))
    assert pod.get("topologySpreadConstraints") == ([expected] if expected else None)
    # the hostname anti-affinity stays either way
    terms = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert terms[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"


# -- metrics -------------------------------------------------------------------------------------


def test_scrape_annotations_and_the_spec_can_turn_them_off() -> None:
    sts = render_statefulset(build(), voters=VOTERS)
    annotations = sts["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "2112"
    off = build({"podAnnotations": {"prometheus.io/scrape": "false"}})
    sts = render_statefulset(off, voters=VOTERS)
    assert sts["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "false"
