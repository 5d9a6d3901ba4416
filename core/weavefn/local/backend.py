"""The local backend as one: the saved in-memory cluster, its embedded Weaviate, its load model."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from weavefn.backend import Access, Backend
from weavefn.errors import FieldError, InvalidInputError
from weavefn.kube.access import AccessKind, ClusterSetting
from weavefn.local.kube import LocalKube, open_local
from weavefn.local.metrics import local_registry
from weavefn.local.weaviate.connector import LocalWeaviateConnector


def local_backend(kube: LocalKube) -> Backend:
    """Every simulated part over one in-memory cluster (tests and the trace replay build theirs)."""
    return Backend(
        kube=kube, weaviate=LocalWeaviateConnector(kube), metrics=local_registry(kube.extras)
    )


@contextmanager
def open_local_backend(
    setting: ClusterSetting, *, access: Access = Access.WRITE
) -> Iterator[Backend]:
    """The local cluster saved at the setting's path (``local:PATH``); saved again on exit
    when ``access`` allows writing."""
    if setting.kind is not AccessKind.LOCAL:
        raise InvalidInputError(
            [FieldError("cluster", f"{setting.kind} is not the local cluster")],
            what="cluster setting",
        )
    with open_local(setting.parts[0], access=access) as kube:
        yield local_backend(kube)
