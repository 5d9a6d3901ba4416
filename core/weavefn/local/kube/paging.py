"""Paged lists of the local API server: limit, continue tokens, remainingItemCount and 410 Gone.

As kube-apiserver 1.36 does: items come in etcd key order (``name`` within a namespace,
``namespace/name`` across namespaces); every page of one list is read at the revision of its
first page, so later pages show objects as they were then; the continue token is the server's
own (base64 of ``{"v", "rv", "start"}``); ``remainingItemCount`` is given only to lists without a
label selector. A token whose revision is no longer kept (more than ``SNAPSHOTS_KEPT`` paged
lists ago, or before ``compact()``) is a 410 Gone whose Status carries an inconsistent continue
token (``rv: -1``): the rest of the list at the latest revision.

Objects in the store are replaced on every write, never edited in place, so a snapshot of a
list is a list of references, not copies.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from weavefn.errors import FieldError, InvalidInputError
from weavefn.kube.paging import ListExpiredError
from weavefn.kube.port import LabelSelector, Page
from weavefn.local.kube.fields import copy_obj
from weavefn.local.kube.store import Store

Obj = dict[str, Any]
CONTINUE_FORMAT = "meta.k8s.io/v1"
SNAPSHOTS_KEPT = 16
EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list."
)
QueryKey = tuple[str, str, str | None, str]


@dataclass(frozen=True)
class Token:
    revision: int
    start: str

    def encode(self) -> str:
        body = json.dumps(
            {"v": CONTINUE_FORMAT, "rv": self.revision, "start": self.start}, separators=(",", ":")
        )
        return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Token:
        try:
            raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if raw.get("v") != CONTINUE_FORMAT:
                raise ValueError("version")
            return cls(int(raw["rv"]), str(raw["start"]))
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise InvalidInputError(
                [FieldError("continue", "continue key is not valid")], what="list options"
            ) from None


def _key(obj: Obj, *, across_namespaces: bool) -> str:
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    return f"{namespace}/{meta['name']}" if across_namespaces and namespace else meta["name"]


def _canonical(selector: LabelSelector | None) -> str:
    parts = []
    for key in sorted(selector or {}):
        value = (selector or {})[key]
        values = sorted(value) if isinstance(value, frozenset) else [value]
        parts.append(f"{key}={'|'.join(values)}")
    return ",".join(parts)


@dataclass
class _Snapshot:
    keys: list[str]
    objects: list[Obj]


class PagedLists:
    """The revisions continue tokens can still read; paging over the store."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[int, QueryKey], _Snapshot] = OrderedDict()

    def compact(self) -> None:
        """Forget every revision older than now, as etcd's compaction does."""
        self._kept.clear()

    def page(
        self,
        store: Store,
        *,
        api_version: str,
        kind: str,
        namespace: str | None,
        selector: LabelSelector | None,
        limit: int,
        continue_token: str | None,
        copy: bool = True,
    ) -> Page:
        query: QueryKey = (api_version, kind, namespace, _canonical(selector))
        start = ""
        snapshot: _Snapshot | None = None
        revision = store.revision
        if continue_token:
            token = Token.decode(continue_token)
            start = token.start
            if token.revision >= 0:
                snapshot = self._kept.get((token.revision, query))
                if snapshot is None:
                    inconsistent = Token(-1, token.start).encode()
                    raise ListExpiredError(EXPIRED, continue_token=inconsistent)
                revision = token.revision
        if snapshot is None:
            snapshot = self._take(store, query, selector)
        first = bisect.bisect_left(snapshot.keys, start)
        last = len(snapshot.keys) if limit <= 0 else min(len(snapshot.keys), first + limit)
        shown = snapshot.objects[first:last]
        items = [copy_obj(o) for o in shown] if copy else list(shown)
        more = last < len(snapshot.keys)
        if more:
            self._keep((revision, query), snapshot)
        return Page(
            items=items,
            continue_token=Token(revision, snapshot.keys[last - 1] + "\x00").encode()
            if more
            else None,
            remaining=len(snapshot.keys) - last if more and not selector else None,
            resource_version=str(revision),
        )

    def _take(self, store: Store, query: QueryKey, selector: LabelSelector | None) -> _Snapshot:
        api_version, kind, namespace, _ = query
        across = namespace is None
        found = store.list(api_version, kind, namespace, selector)
        ordered = sorted(found, key=lambda o: _key(o, across_namespaces=across))
        return _Snapshot([_key(o, across_namespaces=across) for o in ordered], ordered)

    def _keep(self, key: tuple[int, QueryKey], snapshot: _Snapshot) -> None:
        self._kept[key] = snapshot
        self._kept.move_to_end(key)
        while len(self._kept) > SNAPSHOTS_KEPT:
            self._kept.popitem(last=False)
