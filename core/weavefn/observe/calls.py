"""API calls and errors per pass and per cluster: a KubeApi wrapper counting into thread scopes.

A scope (``counting()``) belongs to the thread that opens it; every call made on that thread
while it is open counts in it, and in the scopes around it. The fleet opens one per cluster on
the worker that reconciles it, the service one per pass on its own thread (the list calls).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from weavefn.kube.paging import DEFAULT_PAGE_SIZE, list_all
from weavefn.kube.port import FIELD_MANAGER, KubeApi, LabelSelector, Obj, ObjectRef, Page, Scale
from weavefn.model.resource import API_VERSION, KIND

_scopes = threading.local()
T = TypeVar("T")


@dataclass(eq=False)  # scopes are told apart by identity
class CallTally:
    calls: int = 0
    errors: int = 0


def _open() -> list[CallTally]:
    found: list[CallTally] | None = getattr(_scopes, "open", None)
    if found is None:
        found = _scopes.open = []
    return found


@contextmanager
def counting() -> Iterator[CallTally]:
    """Count the API calls this thread makes until the block ends."""
    tally = CallTally()
    scopes = _open()
    scopes.append(tally)
    try:
        yield tally
    finally:
        scopes.remove(tally)


_counting = threading.Lock()  # a scope carried into worker threads is counted from several


def _record(*, failed: bool) -> None:
    scopes = _open()
    if not scopes:
        return
    with _counting:
        for tally in scopes:
            tally.calls += 1
            tally.errors += failed


def carry(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn`` counting into the scopes open here, wherever (whichever thread) it runs."""
    scopes = list(_open())

    def run(*args: Any, **kwargs: Any) -> T:
        opened = _open()
        before = len(opened)
        opened.extend(scopes)
        try:
            return fn(*args, **kwargs)
        finally:
            del opened[before:]

    return run


class MeteredKube:
    """Every KubeApi call of ``inner``, counted (a raised error counts as an API error).

    Lists page here, so each page counts as the call it is. Anything else (a backend's own
    attributes, such as the service proxy) is ``inner``'s.
    """

    def __init__(self, inner: KubeApi) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            result = getattr(self.inner, method)(*args, **kwargs)
        except Exception:
            _record(failed=True)
            raise
        _record(failed=False)
        return result

    def list_page(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        selector: LabelSelector | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        continue_token: str | None = None,
    ) -> Page:
        page: Page = self._call(
            "list_page",
            api_version,
            kind,
            namespace=namespace,
            selector=selector,
            limit=limit,
            continue_token=continue_token,
        )
        return page

    def list_objects(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        selector: LabelSelector | None = None,
    ) -> list[Obj]:
        return list_all(self.list_page, api_version, kind, namespace=namespace, selector=selector)

    def list_clusters(self, namespace: str | None = None) -> list[Obj]:
        return self.list_objects(API_VERSION, KIND, namespace=namespace)

    def list_pods(self, namespace: str, selector: dict[str, str]) -> list[Obj]:
        return self.list_objects("v1", "Pod", namespace=namespace, selector=selector)

    def list_pvcs(self, namespace: str, selector: dict[str, str]) -> list[Obj]:
        return self.list_objects(
            "v1", "PersistentVolumeClaim", namespace=namespace, selector=selector
        )

    def get_cluster(self, namespace: str, name: str) -> Obj:
        found: Obj = self._call("get_cluster", namespace, name)
        return found

    def replace_cluster_status(self, cluster: Obj) -> Obj:
        found: Obj = self._call("replace_cluster_status", cluster)
        return found

    def apply_cluster(self, cluster: Obj) -> Obj:
        found: Obj = self._call("apply_cluster", cluster)
        return found

    def patch_cluster_spec(
        self, namespace: str, name: str, spec_patch: Obj, *, resource_version: str
    ) -> Obj:
        found: Obj = self._call(
            "patch_cluster_spec", namespace, name, spec_patch, resource_version=resource_version
        )
        return found

    def get(self, ref: ObjectRef) -> Obj | None:
        found: Obj | None = self._call("get", ref)
        return found

    def apply(self, obj: Obj, *, field_manager: str = FIELD_MANAGER, force: bool = True) -> Obj:
        found: Obj = self._call("apply", obj, field_manager=field_manager, force=force)
        return found

    def delete(self, ref: ObjectRef, *, propagation: str = "Background") -> Obj | None:
        found: Obj | None = self._call("delete", ref, propagation=propagation)
        return found

    def get_scale(self, namespace: str, name: str) -> Scale:
        found: Scale = self._call("get_scale", namespace, name)
        return found

    def patch_scale(
        self, namespace: str, name: str, replicas: int, *, resource_version: str | None = None
    ) -> Scale:
        found: Scale = self._call(
            "patch_scale", namespace, name, replicas, resource_version=resource_version
        )
        return found

    def patch_pvc_size(self, namespace: str, name: str, size: str) -> Obj:
        found: Obj = self._call("patch_pvc_size", namespace, name, size)
        return found

    def create_event(self, event: Obj) -> None:
        self._call("create_event", event)


def _conforms(kube: MeteredKube) -> KubeApi:
    """mypy proves here that MeteredKube implements every port."""
    return kube
