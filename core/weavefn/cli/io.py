"""Reading manifests from files and writing objects as YAML or JSON for the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from weavefn.errors import FieldError, InvalidInputError
from weavefn.model.manifest import ClusterManifest, parse_manifest

if TYPE_CHECKING:
    from weavefn.model.resource import WeaviateCluster


def read_text_file(path: str) -> str:
    """A file's text, or an InvalidInputError naming the file and why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidInputError([FieldError(path, f"cannot read file: {reason}")]) from None


def load_yaml_file(path: str) -> Any:
    """Read one YAML document, turning every failure into an InvalidInputError."""
    text = read_text_file(path)
    if yaml.__with_libyaml__:
        try:
            return yaml.load(text, Loader=yaml.CSafeLoader)  # libyaml: six times faster
        except (yaml.YAMLError, RecursionError):
            pass  # the pure loader below says what is wrong, and where, as it always has
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InvalidInputError([FieldError(path, f"{problem}{where}")]) from None
    except RecursionError:  # the YAML composer recurses once per nesting level
        raise InvalidInputError([FieldError(path, "nested too deeply to be a manifest")]) from None


def load_manifest_file(path: str) -> ClusterManifest:
    """A manifest, validated as the admission webhook and the CRD would check it."""
    return parse_manifest(load_yaml_file(path))


def load_cluster_file(path: str) -> WeaviateCluster:
    """A manifest as the cluster it describes (no status yet), for render, apply and simulate."""
    from weavefn.model.resource import parse_cluster

    return parse_cluster(load_yaml_file(path), with_status=False)


def dump(objects: list[dict[str, Any]], output: str) -> str:
    if output == "json":
        return json.dumps(objects if len(objects) != 1 else objects[0], indent=2) + "\n"
    return yaml.safe_dump_all(objects, sort_keys=False)
