"""Reading manifests from files (or standard input, ``-f -``) and writing objects as YAML or JSON.

A file may hold several documents, as for kubectl: each is validated on its own and named in
messages by its place in the file (``x.yaml (document 2, line 14)``); a file of one document
is named by its path alone.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import yaml

from weavefn.cli.yaml_documents import read_documents
from weavefn.errors import FieldError, InvalidInputError
from weavefn.model.manifest import ClusterManifest, parse_manifest

if TYPE_CHECKING:
    from weavefn.model.resource import WeaviateCluster

STDIN = "-"
T = TypeVar("T")


def source_name(path: str) -> str:
    """How messages name a file: its path, or ``<stdin>`` for ``-``."""
    return "<stdin>" if path == STDIN else path


def read_text_file(path: str) -> str:
    """A file's text (standard input for ``-``), or an InvalidInputError saying why not."""
    try:
        if path == STDIN:
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidInputError(
            [FieldError(source_name(path), f"cannot read file: {reason}")]
        ) from None


def add_file_option(parser: Any) -> None:
    parser.add_argument(
        "-f",
        "--file",
        required=True,
        metavar="FILE",
        help="a WeaviateCluster manifest (YAML; several documents allowed); - reads standard input",
    )


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """One document of a file, parsed, or the problems that kept it from parsing."""

    label: str
    value: T | None
    errors: tuple[FieldError, ...] = ()


def parse_documents(path: str, parse: Callable[[Any], T]) -> list[Parsed[T]]:
    """Every document of the file parsed on its own; a file with none is an error."""
    name = source_name(path)
    documents = read_documents(read_text_file(path), source=name)
    if not documents:
        raise InvalidInputError([FieldError(name, "no document in the file")], what="manifest")
    parsed: list[Parsed[T]] = []
    for doc in documents:
        label = (
            name if len(documents) == 1 else f"{name} (document {doc.index + 1}, line {doc.line})"
        )
        try:
            parsed.append(Parsed(label, parse(doc.data)))
        except InvalidInputError as exc:
            errors = tuple(FieldError(f"{label}: {e.path}", e.message) for e in exc.errors)
            parsed.append(Parsed(label, None, errors))
    return parsed


def all_valid(parsed: list[Parsed[T]], *, what: str, hint: str | None = None) -> list[T]:
    """The values, when every document parsed; else one error listing every problem."""
    errors = [e for p in parsed for e in p.errors]
    if errors:
        raise InvalidInputError(errors, what=what, hint=hint)
    return [p.value for p in parsed if p.value is not None]


def _manifest(raw: Any) -> ClusterManifest:
    cluster = parse_manifest(raw)
    if cluster.spec.restore_from is not None:
        # loaded only for a cluster created from a backup
        from weavefn.lifecycle.restore.rules import restore_from_errors

        errors = restore_from_errors(cluster)
        if errors:
            raise InvalidInputError(errors, what="WeaviateCluster")
    return cluster


def load_manifests(path: str) -> list[Parsed[ClusterManifest]]:
    """Each manifest, validated as the admission webhook and the CRD would check it."""
    return parse_documents(path, _manifest)


def _cluster(raw: Any) -> WeaviateCluster:
    from weavefn.model.resource import parse_cluster

    return parse_cluster(raw, with_status=False)


def load_clusters(path: str, *, hint: str | None = None) -> list[WeaviateCluster]:
    """Every manifest as the cluster it describes (no status yet), or every problem of all."""
    return all_valid(parse_documents(path, _cluster), what="manifest", hint=hint)


def load_one_cluster(path: str, *, command: str) -> WeaviateCluster:
    """The one cluster a file describes, for commands that work on one."""
    clusters = load_clusters(path)
    if len(clusters) != 1:
        raise InvalidInputError(
            [
                FieldError(
                    source_name(path),
                    f"holds {len(clusters)} WeaviateClusters; {command} takes one",
                )
            ],
            what="manifest",
        )
    return clusters[0]


def dump(objects: list[dict[str, Any]], output: str) -> str:
    if output == "json":
        return json.dumps(objects if len(objects) != 1 else objects[0], indent=2) + "\n"
    return yaml.safe_dump_all(objects, sort_keys=False)
