"""Paged lists: the same cases on the local cluster and on kube-apiserver 1.36.

``limit`` and ``continue``, the order of items, ``remainingItemCount`` (only without a label
selector), pages read at the revision of the first one, set-based selectors, and a continue
token that expired (etcd compacted its revision): 410 Gone with an inconsistent continue token,
which weavefn's list walk uses to finish the list.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from weavefn.kube.paging import ListExpiredError, list_all
from weavefn.kube.port import ObjectRef, Page

from tests.contract.conftest import Backend
from tests.support.realk8s import UNCACHED_KIND

Obj = dict[str, Any]
KIND = UNCACHED_KIND


def template(namespace: str, name: str, *, team: str = "a", image: str = "x:1") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": KIND,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"paging": "yes", "team": team},
        },
        "template": {"spec": {"containers": [{"name": "c", "image": image}]}},
    }


def seed(b: Backend, count: int = 5) -> list[str]:
    names = [f"p{i}" for i in range(1, count + 1)]
    for i, name in enumerate(names):
        b.kube.apply(template(b.namespace, name, team="a" if i % 2 == 0 else "b"))
    return names


def page(b: Backend, token: str | None = None, *, limit: int = 2, **selector: Any) -> Page:
    result: Page = b.kube.list_page(
        "v1",
        KIND,
        namespace=b.namespace,
        selector=selector or None,
        limit=limit,
        continue_token=token,
    )
    return result


def names(found: Page | list[Obj]) -> list[str]:
    items = found.items if isinstance(found, Page) else found
    return [o["metadata"]["name"] for o in items]


def test_pages_come_in_order_with_a_token_and_a_count_until_the_last(backend: Backend) -> None:
    seed(backend)
    first = page(backend)
    assert names(first) == ["p1", "p2"]
    assert first.continue_token and first.remaining == 3
    token = json.loads(base64.urlsafe_b64decode(first.continue_token + "=="))
    assert token["v"] == "meta.k8s.io/v1" and token["rv"] == int(first.resource_version)
    second = page(backend, first.continue_token)
    assert names(second) == ["p3", "p4"] and second.remaining == 1
    assert second.resource_version == first.resource_version
    last = page(backend, second.continue_token)
    assert names(last) == ["p5"]
    assert last.continue_token is None and last.remaining is None
    assert first.items[0]["kind"] == KIND, "items name their kind, as ObjectRef.of needs"


def test_a_label_selector_pages_without_a_remaining_count(backend: Backend) -> None:
    seed(backend)
    first = page(backend, paging="yes")
    assert names(first) == ["p1", "p2"] and first.continue_token
    assert first.remaining is None
    picked = page(backend, limit=10, team=frozenset({"b"}), paging="yes")
    assert names(picked) == ["p2", "p4"]
    either = page(backend, limit=10, team=frozenset({"a", "b"}))
    assert names(either) == ["p1", "p2", "p3", "p4", "p5"]


def test_later_pages_are_read_at_the_first_pages_revision(backend: Backend) -> None:
    seed(backend)
    first = page(backend)
    kube, ns = backend.kube, backend.namespace
    kube.delete(ObjectRef("v1", KIND, ns, "p3"))
    kube.apply(template(ns, "p4", image="x:2"))
    kube.apply(template(ns, "p31"))
    rest: list[Obj] = []
    token = first.continue_token
    while token:
        found = page(backend, token)
        rest += found.items
        token = found.continue_token
    assert names(rest) == ["p3", "p4", "p5"], "the deleted one is there, the new one is not"
    p4 = next(o for o in rest if o["metadata"]["name"] == "p4")
    assert p4["template"]["spec"]["containers"][0]["image"] == "x:1"
    fresh = list_all(kube.list_page, "v1", KIND, namespace=ns, limit=2)
    assert names(fresh) == ["p1", "p2", "p31", "p4", "p5"]


def test_an_expired_token_is_410_with_an_inconsistent_continue_token(backend: Backend) -> None:
    seed(backend)
    first = page(backend)
    backend.kube.apply(template(backend.namespace, "p9"))
    backend.compact()
    with pytest.raises(ListExpiredError) as expired:
        page(backend, first.continue_token)
    assert "too old to display a consistent list result" in str(expired.value)
    token = expired.value.continue_token
    assert token is not None
    assert json.loads(base64.urlsafe_b64decode(token + "=="))["rv"] == -1
    rest = page(backend, token, limit=10)
    assert names(rest) == ["p3", "p4", "p5", "p9"], "the rest, read at the latest revision"
    assert int(rest.resource_version) > int(first.resource_version)


def test_the_list_walk_finishes_across_an_expired_token(backend: Backend) -> None:
    seed(backend)
    calls: list[str | None] = []

    def compacting(*args: Any, **kwargs: Any) -> Page:
        calls.append(kwargs.get("continue_token"))
        found: Page = backend.kube.list_page(*args, **kwargs)
        if len(calls) == 1:
            backend.kube.apply(template(backend.namespace, "p6"))
            backend.compact()
        return found

    found = list_all(compacting, "v1", KIND, namespace=backend.namespace, limit=2)
    assert names(found) == ["p1", "p2", "p3", "p4", "p5", "p6"]
    assert len(calls) == 4, "first page, the expired token, then two pages"
