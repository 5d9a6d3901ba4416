"""Reading YAML as kubectl does: every document of a file, duplicate keys refused, errors that
keep their context (what was being read, where it started), their place and their document.

libyaml composes the nodes when PyYAML has it (several times faster); on any error the pure
loader reads the text again, so messages are the same either way. Duplicate keys are found on
the composed nodes, before anything is built: kubectl's strict decoding refuses them, where
PyYAML would keep the last one silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from weavefn.errors import FieldError, InvalidInputError

_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Document:
    """One YAML document of a file: its position among the non-empty ones, its first line."""

    index: int
    line: int
    data: Any


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping names the same key twice; ``path`` says where, both marks say on which lines."""

    def __init__(self, path: str, first: yaml.Mark, again: yaml.Mark) -> None:
        super().__init__(problem="duplicate key", problem_mark=again)
        self.path = path
        self.first = first


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _children(node: Node, path: str) -> Iterator[tuple[Node, str]]:
    if isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield item, f"{path}[{i}]"
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else "?"
            yield key, path
            yield value, f"{path}.{name}" if path else str(name)


def check_duplicates(root: Node) -> None:
    """Raise DuplicateKeyError for the first mapping holding a scalar key twice (no recursion:
    a deep document must not end this walk with a RecursionError)."""
    stack: list[tuple[Node, str]] = [(root, "")]
    seen_nodes: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue  # an alias: its anchor was walked already
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            keys: dict[tuple[str, str], yaml.Mark] = {}
            for key, _ in node.value:
                if not isinstance(key, ScalarNode) or key.tag == _MERGE:
                    continue
                found = keys.setdefault((key.tag, key.value), key.start_mark)
                if found is not key.start_mark:
                    where = f"{path}.{key.value}" if path else str(key.value)
                    raise DuplicateKeyError(where, found, key.start_mark)
        stack.extend(_children(node, path))


class DocumentError(Exception):
    """A YAML error in the document at ``index`` (among the non-empty ones read before it; the
    error's own marks give its lines)."""

    def __init__(self, error: yaml.YAMLError, *, index: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.index = index


def _documents(text: str, loader_class: Any) -> list[Document]:
    try:
        loader = loader_class(text)  # the pure reader checks every character here
    except yaml.YAMLError as exc:
        raise DocumentError(exc, index=0) from None
    found: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            check_duplicates(node)
            data = loader.construct_document(node)
            if data is not None:  # an empty document (a trailing ---) is skipped, as kubectl does
                found.append(Document(len(found), node.start_mark.line + 1, data))
        return found
    except yaml.YAMLError as exc:
        raise DocumentError(exc, index=len(found)) from None
    finally:
        loader.dispose()


def _message(error: yaml.YAMLError) -> str:
    """The problem and where it is, after what was being read and where that started."""
    if isinstance(error, DuplicateKeyError):
        again = error.problem_mark.line + 1 if error.problem_mark else 0
        first = error.first.line + 1
        return f"{error.path}: duplicate key at line {again} (first set at line {first})"
    if isinstance(error, yaml.reader.ReaderError):  # a character YAML does not allow
        said = str(error).partition("\n")[0]
        return f"{said} at character {error.position + 1}"
    parts = []
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context:
        parts.append(f"{context} at {_where(context_mark)}" if context_mark else context)
    problem, mark = getattr(error, "problem", None), getattr(error, "problem_mark", None)
    text = problem or "invalid YAML"
    parts.append(f"{text} at {_where(mark)}" if mark else text)
    return ": ".join(parts)


def _label(source: str, error: DocumentError) -> str:
    """The source alone for the first document (as for a file of one); its place otherwise."""
    return source if error.index == 0 else f"{source} (document {error.index + 1})"


def read_documents(text: str, *, source: str) -> list[Document]:
    """Every non-empty document of ``text``; InvalidInputError naming ``source`` otherwise."""
    if yaml.__with_libyaml__:
        try:
            return _documents(text, yaml.CSafeLoader)
        except (DocumentError, RecursionError):
            pass  # the pure loader below says what is wrong, and where
    try:
        return _documents(text, yaml.SafeLoader)
    except DocumentError as exc:
        raise InvalidInputError(
            [FieldError(_label(source, exc), _message(exc.error))], what="YAML"
        ) from None
    except RecursionError:  # the YAML composer recurses once per nesting level
        raise InvalidInputError(
            [FieldError(source, "nested too deeply to be a manifest")], what="YAML"
        ) from None
