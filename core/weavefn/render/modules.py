"""Weaviate modules: their environment variables and the inference Deployments/Services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from weavefn.errors import FieldError, InvalidInputError
from weavefn.model.resource import WeaviateCluster
from weavefn.model.spec import ModuleSpec, SecretRef
from weavefn.render.labels import (
    COMPONENT_LABEL,
    INSTANCE_LABEL,
    NAME_LABEL,
    VERSION_LABEL,
    Component,
    common_labels,
    module_object_name,
    object_meta,
)

INFERENCE_PORT = 8080
EnvVar = dict[str, Any]


@dataclass(frozen=True)
class InferenceModule:
    url_env: str
    image: str


# Inference containers Weaviate reaches over HTTP; the image is a default, `module.image` wins.
INFERENCE_MODULES: dict[str, InferenceModule] = {
    "qna-transformers": InferenceModule(
        "QNA_INFERENCE_API",
        "cr.weaviate.io/semitechnologies/qna-transformers:distilbert-base-uncased-distilled-squad",
    ),
    "text2vec-transformers": InferenceModule(
        "TRANSFORMERS_INFERENCE_API",
        "cr.weaviate.io/semitechnologies/transformers-inference:"
        "sentence-transformers-multi-qa-MiniLM-L6-cos-v1",
    ),
    "reranker-transformers": InferenceModule(
        "RERANKER_INFERENCE_API",
        "cr.weaviate.io/semitechnologies/reranker-transformers:cross-encoder-ms-marco-MiniLM-L-6-v2",
    ),
    "multi2vec-clip": InferenceModule(
        "CLIP_INFERENCE_API",
        "cr.weaviate.io/semitechnologies/multi2vec-clip:"
        "sentence-transformers-clip-ViT-B-32-multilingual-v1",
    ),
    "img2vec-neural": InferenceModule(
        "IMAGE_INFERENCE_API", "cr.weaviate.io/semitechnologies/img2vec-pytorch:resnet50"
    ),
    "ner-transformers": InferenceModule(
        "NER_INFERENCE_API",
        "cr.weaviate.io/semitechnologies/ner-transformers:"
        "dbmdz-bert-large-cased-finetuned-conll03-english",
    ),
    "sum-transformers": InferenceModule(
        "SUM_INFERENCE_API",
        "cr.weaviate.io/semitechnologies/sum-transformers:facebook-bart-large-cnn-1.0.0",
    ),
    "text-spellcheck": InferenceModule(
        "SPELLCHECK_INFERENCE_API",
        "cr.weaviate.io/semitechnologies/text-spellcheck-model:pyspellchecker-en",
    ),
}

# Weaviate's own variable names for known (module, config key) pairs. Keys not listed fall back
# to MODULE_NAME_KEY in upper snake case (text2vec-foo + baseUrl -> TEXT2VEC_FOO_BASE_URL).
_KNOWN_ENV: dict[tuple[str, str], str] = {
    ("text2vec-openai", "apiKey"): "OPENAI_APIKEY",
    ("text2vec-openai", "organization"): "OPENAI_ORGANIZATION",
    ("generative-openai", "apiKey"): "OPENAI_APIKEY",
    ("generative-openai", "organization"): "OPENAI_ORGANIZATION",
    # Azure OpenAI goes through the openai modules, which read AZURE_APIKEY
    # (modules/text2vec-openai/module.go, modules/generative-openai/module.go).
    ("text2vec-openai", "azureApiKey"): "AZURE_APIKEY",
    ("generative-openai", "azureApiKey"): "AZURE_APIKEY",
    ("text2vec-cohere", "apiKey"): "COHERE_APIKEY",
    ("generative-cohere", "apiKey"): "COHERE_APIKEY",
    ("reranker-cohere", "apiKey"): "COHERE_APIKEY",
    ("text2vec-huggingface", "apiKey"): "HUGGINGFACE_APIKEY",
    ("text2vec-google", "apiKey"): "GOOGLE_APIKEY",
    ("generative-google", "apiKey"): "GOOGLE_APIKEY",
    ("text2vec-voyageai", "apiKey"): "VOYAGEAI_APIKEY",
    ("reranker-voyageai", "apiKey"): "VOYAGEAI_APIKEY",
    ("text2vec-jinaai", "apiKey"): "JINAAI_APIKEY",
    ("text2vec-mistral", "apiKey"): "MISTRAL_APIKEY",
    ("generative-mistral", "apiKey"): "MISTRAL_APIKEY",
    ("generative-anthropic", "apiKey"): "ANTHROPIC_APIKEY",
}


def upper_snake(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)).upper()


def module_env_name(module: str, key: str) -> str:
    return _KNOWN_ENV.get((module, key)) or upper_snake(f"{module}_{key}")


def env_value(name: str, value: str | int | float | bool | SecretRef) -> EnvVar:
    if isinstance(value, SecretRef):
        ref = value.secret_key_ref
        return {"name": name, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}}
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return {"name": name, "value": text}


def _module_url(cluster: WeaviateCluster, module: str) -> str:
    return f"http://{module_object_name(cluster, module)}:{INFERENCE_PORT}"


def enabled_module_names(cluster: WeaviateCluster, extra: tuple[str, ...] = ()) -> list[str]:
    names = [m.name for m in cluster.spec.enabled_modules]
    return names + [name for name in extra if name not in names]


def default_vectorizer(cluster: WeaviateCluster) -> str | None:
    return next(
        (m.name for m in cluster.spec.enabled_modules if m.name.startswith("text2vec-")), None
    )


def weaviate_module_env(cluster: WeaviateCluster) -> list[EnvVar]:
    """Variables the Weaviate container needs for its modules: credentials, settings, URLs."""
    env: dict[str, EnvVar] = {}
    owner: dict[str, str] = {}
    errors: list[FieldError] = []
    for index, module in enumerate(cluster.spec.modules):
        if not module.enabled:
            continue
        inference = INFERENCE_MODULES.get(module.name)
        wanted = [] if inference else [(k, v) for k, v in module.config.items()]
        for key, value in wanted:
            var = env_value(module_env_name(module.name, key), value)
            name = var["name"]
            if name not in env:
                env[name], owner[name] = var, module.name
            elif env[name] != var:
                # e.g. text2vec-openai and generative-openai both feed OPENAI_APIKEY.
                errors.append(
                    FieldError(
                        f"spec.modules[{index}].config.{key}",
                        f"sets {name} differently from module {owner[name]}",
                    )
                )
        if inference:
            env[inference.url_env] = {
                "name": inference.url_env,
                "value": _module_url(cluster, module.name),
            }
    if errors:
        raise InvalidInputError(errors, what="WeaviateCluster")
    return list(env.values())


def _inference_labels(
    cluster: WeaviateCluster, module: str
) -> tuple[dict[str, str], dict[str, str]]:
    labels = common_labels(cluster, Component.INFERENCE, name=module)
    selector = {k: labels[k] for k in (NAME_LABEL, INSTANCE_LABEL, COMPONENT_LABEL)}
    return labels, selector


def _resources(module: ModuleSpec) -> dict[str, Any]:
    if not module.resources:
        return {}
    requests = module.resources.model_dump(exclude_none=True)
    # Models are loaded into memory once; a memory limit equal to the request avoids the node
    # overcommitting and OOM-killing a neighbour instead.
    limits = {"memory": requests["memory"]} if "memory" in requests else {}
    return {"requests": requests, **({"limits": limits} if limits else {})}


def _probe(path: str, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": INFERENCE_PORT},
        "periodSeconds": 10,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def inference_deployment(cluster: WeaviateCluster, module: ModuleSpec) -> dict[str, Any]:
    known = INFERENCE_MODULES[module.name]
    labels, selector = _inference_labels(cluster, module.name)
    env = sorted(
        (env_value(upper_snake(k), v) for k, v in module.config.items()), key=lambda e: e["name"]
    )
    container: dict[str, Any] = {
        "name": module.name,
        "image": module.image or known.image,
        "ports": [{"name": "http", "containerPort": INFERENCE_PORT, "protocol": "TCP"}],
        # Model loading can take minutes; the startup probe holds liveness off until then.
        "startupProbe": _probe("/.well-known/ready", 60),
        "readinessProbe": _probe("/.well-known/ready", 3),
        "livenessProbe": _probe("/.well-known/live", 6),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    if env:
        container["env"] = env
    resources = _resources(module)
    if resources:
        container["resources"] = resources
    # The Weaviate version label stays off the pod template: a template change rolls every
    # inference pod, and a Weaviate upgrade changes nothing they run.
    pod_labels = {k: v for k, v in labels.items() if k != VERSION_LABEL}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(cluster, module_object_name(cluster, module.name), labels),
        "spec": {
            "replicas": module.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {"automountServiceAccountToken": False, "containers": [container]},
            },
        },
    }


def inference_service(cluster: WeaviateCluster, module: ModuleSpec) -> dict[str, Any]:
    labels, selector = _inference_labels(cluster, module.name)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(cluster, module_object_name(cluster, module.name), labels),
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [
                {"name": "http", "port": INFERENCE_PORT, "targetPort": "http", "protocol": "TCP"}
            ],
        },
    }


def inference_objects(cluster: WeaviateCluster) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for module in cluster.spec.enabled_modules:
        if module.name in INFERENCE_MODULES:
            objects += [inference_deployment(cluster, module), inference_service(cluster, module)]
    return objects
