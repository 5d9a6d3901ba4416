"""The supporting objects: Services, PDB, ConfigMap, ServiceAccount, inference and mesh."""

from __future__ import annotations

from typing import Any

from weavefn.render import render_all, selector_labels

from tests.unit.render.conftest import build, env_of, load_example

PROD_VOTERS = ["production-0", "production-1", "production-2"]


def _by_kind_name(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def _ports(service: dict[str, Any]) -> set[tuple[str, int, str]]:
    return {(p["name"], p["port"], p["protocol"]) for p in service["spec"]["ports"]}


def test_apply_order_puts_dependencies_before_the_statefulset() -> None:
    cluster = load_example("gcp.yaml")
    kinds = [o["kind"] for o in render_all(cluster, voters=["search-0", "search-1", "search-2"])]
    assert kinds == [
        "ServiceAccount",
        "ConfigMap",
        "StorageClass",
        "Service",
        "Service",
        "PodDisruptionBudget",
        "Deployment",
        "Service",
        "Deployment",
        "Service",
        "StatefulSet",
    ]


def test_every_namespaced_object_carries_namespace_labels_and_owner() -> None:
    cluster = load_example("production-aws.yaml").model_copy(
        update={
            "metadata": load_example("production-aws.yaml").metadata.model_copy(
                update={"uid": "u-1"}
            )
        }
    )
    for obj in render_all(cluster, voters=PROD_VOTERS):
        meta = obj["metadata"]
        assert meta["namespace"] == "weaviate", obj["kind"]
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "weavefn"
        assert meta["labels"]["app.kubernetes.io/instance"] == "production"
        assert meta["ownerReferences"][0]["uid"] == "u-1"


def test_headless_and_client_services() -> None:
    objects = _by_kind_name(render_all(build(), voters=["demo-0"]))
    headless = objects[("Service", "demo-headless")]["spec"]
    assert headless["clusterIP"] == "None"
    assert headless["publishNotReadyAddresses"] is True
    # each name says its protocol (Istio's <protocol>[-suffix]): nothing is sniffed
    assert _ports(objects[("Service", "demo-headless")]) == {
        ("tcp-gossip", 7000, "TCP"),
        ("udp-gossip", 7000, "UDP"),
        ("tcp-data", 7001, "TCP"),
        ("tcp-raft", 8300, "TCP"),
        ("grpc-raft-rpc", 8301, "TCP"),
        ("http-metrics", 2112, "TCP"),
    }
    client = objects[("Service", "demo")]
    assert _ports(client) == {
        ("http", 8080, "TCP"),
        ("grpc", 50051, "TCP"),
        ("metrics", 2112, "TCP"),
    }
    assert {p["name"]: p["appProtocol"] for p in client["spec"]["ports"]} == {
        "http": "http",
        "grpc": "grpc",
        "metrics": "http",
    }
    assert client["spec"]["selector"] == selector_labels(build())
    assert client["spec"]["type"] == "ClusterIP"
    assert "annotations" not in client["metadata"]


def test_client_service_type_and_annotations_from_the_spec() -> None:
    internal = {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}
    spec = {
        "service": {
            "type": "LoadBalancer",
            "annotations": internal,
            "loadBalancerSourceRanges": ["10.0.0.0/8"],
        }
    }
    client = _by_kind_name(render_all(build(spec), voters=["demo-0"]))[("Service", "demo")]
    assert client["spec"]["type"] == "LoadBalancer"
    assert client["metadata"]["annotations"] == internal
    assert client["spec"]["loadBalancerSourceRanges"] == ["10.0.0.0/8"]
    # metrics are never published on a load balancer: the headless Service carries them
    assert _ports(client) == {("http", 8080, "TCP"), ("grpc", 50051, "TCP")}


def test_disruption_budget_lets_one_pod_go_at_a_time() -> None:
    pdb = _by_kind_name(render_all(build(), voters=["demo-0"]))[("PodDisruptionBudget", "demo")]
    assert pdb["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": selector_labels(build())},
    }


def test_configmap_records_settings_but_no_secret() -> None:
    objects = _by_kind_name(render_all(load_example("production-aws.yaml"), voters=PROD_VOTERS))
    data = objects[("ConfigMap", "production-config")]["data"]
    assert data["RAFT_JOIN"] == "production-0,production-1,production-2"
    assert "OPENAI_APIKEY" not in data
    assert "CLUSTER_HOSTNAME" not in data


def test_inference_module_runs_beside_weaviate_and_stays_out_of_its_selector() -> None:
    objects = _by_kind_name(render_all(load_example("production-aws.yaml"), voters=PROD_VOTERS))
    deployment = objects[("Deployment", "production-qna-transformers")]
    service = objects[("Service", "production-qna-transformers")]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("cr.weaviate.io/semitechnologies/qna-transformers:")
    assert container["resources"]["requests"] == {"memory": "4Gi"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/.well-known/ready", "port": 8080}
    assert container["livenessProbe"]["httpGet"] == {"path": "/.well-known/live", "port": 8080}
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    weaviate_selector = selector_labels(load_example("production-aws.yaml"))
    assert not weaviate_selector.items() <= pod_labels.items()


def test_long_cluster_names_still_give_valid_distinct_service_names() -> None:
    name = "a" * 52
    modules = [{"name": "text2vec-transformers"}, {"name": "reranker-transformers"}]
    objects = render_all(build({"modules": modules}, name=name), voters=[f"{name}-0"])
    services = [o["metadata"]["name"] for o in objects if o["kind"] == "Service"]
    assert all(len(n) <= 63 for n in services)
    assert len(set(services)) == 4
    env = env_of(objects[-1])
    assert {env["TRANSFORMERS_INFERENCE_API"], env["RERANKER_INFERENCE_API"]} == {
        f"http://{n}:8080" for n in services[2:]
    }


def test_istio_gets_strict_mtls_and_mutual_tls_destination_rules() -> None:
    objects = render_all(load_example("production-aws.yaml"), voters=PROD_VOTERS)
    mesh = [o for o in objects if o["apiVersion"].endswith("istio.io/v1")]
    peer = next(o for o in mesh if o["kind"] == "PeerAuthentication")
    assert peer["spec"]["mtls"] == {"mode": "STRICT"}
    # a Prometheus outside the mesh can scrape; Istio applies this only to a port a Service
    # binds, which the headless Service's http-metrics port always does
    assert peer["spec"]["portLevelMtls"] == {"2112": {"mode": "PERMISSIVE"}}
    headless = next(o for o in objects if o["metadata"]["name"] == "production-headless")
    assert 2112 in {p["targetPort"] for p in headless["spec"]["ports"]}
    rules = [o for o in mesh if o["kind"] == "DestinationRule"]
    assert {r["spec"]["host"] for r in rules} == {
        "production.weaviate.svc.cluster.local",
        "production-headless.weaviate.svc.cluster.local",
    }
    assert all(r["spec"]["trafficPolicy"]["tls"]["mode"] == "ISTIO_MUTUAL" for r in rules)


def test_linkerd_is_an_annotation_not_objects() -> None:
    objects = render_all(load_example("azure.yaml"), voters=["catalog-0"])
    assert not [o for o in objects if "istio" in o["apiVersion"]]
    annotations = objects[-1]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["linkerd.io/inject"] == "enabled"
    # the metrics port bypasses the proxy: a scrape from outside the mesh works under any
    # default inbound policy
    assert annotations["config.linkerd.io/skip-inbound-ports"] == "2112"
    assert annotations["prometheus.io/port"] == "2112"


def test_no_mesh_means_no_mesh_objects_or_annotations() -> None:
    objects = render_all(build(), voters=["demo-0"])
    assert not [o for o in objects if "istio" in o["apiVersion"]]
    annotations = objects[-1]["spec"]["template"]["metadata"]["annotations"]
    assert not [a for a in annotations if "istio" in a or "linkerd" in a]
