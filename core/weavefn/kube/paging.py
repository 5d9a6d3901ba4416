"""Paged list calls: walk ``limit``/``continue`` pages, and carry on past an expired token.

The API server answers a continue token it no longer holds (etcd compacted its revision, about
five minutes after the first page) with 410 Gone and, in the Status, an *inconsistent* continue
token: the rest of the list read at the latest revision. The Kubernetes API reference says a
client that needs a consistent list must restart without ``continue``; one that does not may
use that token. weavefn is level-based: each pass wants every object's latest state, not one
instant's. An inconsistent continuation still returns every object that existed throughout
(only objects created or deleted meanwhile may or may not appear), and it always finishes,
where a restart can expire again on a list that takes longer than a token lives. So the walk
continues with the server's token, and restarts from the first page only when the 410 carries
none (at most ``MAX_RESTARTS`` times), skipping objects it already yielded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Protocol

from weavefn.errors import UnavailableError
from weavefn.kube.port import LabelSelector, Obj, Page

log = logging.getLogger("weavefn")

DEFAULT_PAGE_SIZE = 500
"""kubectl's chunk size: large enough to keep calls few, small enough to bound one answer."""
MAX_RESTARTS = 2


class ListExpiredError(UnavailableError):
    """410 Gone: the continue token (or resourceVersion) is older than the server keeps.

    ``continue_token`` is the server's token for an inconsistent continuation, when it gave one.
    """

    def __init__(self, message: str, *, continue_token: str | None = None) -> None:
        super().__init__(message)
        self.continue_token = continue_token


class PageLister(Protocol):
    """One page of a list call: the ``list_page`` of a KubeApi."""

    def __call__(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        selector: LabelSelector | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        continue_token: str | None = None,
    ) -> Page: ...


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def iter_pages(
    list_page: PageLister,
    api_version: str,
    kind: str,
    *,
    namespace: str | None = None,
    selector: LabelSelector | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Iterator[list[Obj]]:
    """Every page of one list, in order; no object is yielded twice."""
    token: str | None = None
    restarts = 0
    seen: set[tuple[str, str]] = set()
    while True:
        try:
            page = list_page(
                api_version,
                kind,
                namespace=namespace,
                selector=selector,
                limit=limit,
                continue_token=token,
            )
        except ListExpiredError as expired:
            if token is None:
                raise  # a first page cannot expire; the server means something else
            if expired.continue_token:
                log.info("%s list: continue token expired, continuing at the latest revision", kind)
                token = expired.continue_token
                continue
            restarts += 1
            if restarts > MAX_RESTARTS:
                raise UnavailableError(
                    f"{kind} list: continue token expired {restarts} times; try again later"
                ) from None
            token = None
            continue
        fresh = [o for o in page.items if _key(o) not in seen]
        seen.update(_key(o) for o in fresh)
        yield fresh
        if not page.continue_token:
            return
        token = page.continue_token


def list_all(
    list_page: PageLister,
    api_version: str,
    kind: str,
    *,
    namespace: str | None = None,
    selector: LabelSelector | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> list[Obj]:
    """The whole list, gathered page by page."""
    found: list[Obj] = []
    for page in iter_pages(
        list_page, api_version, kind, namespace=namespace, selector=selector, limit=limit
    ):
        found.extend(page)
    return found
