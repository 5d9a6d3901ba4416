"""The local cluster: an in-memory Kubernetes API server, the default backend and the test fake."""

from weavefn.backend import Access
from weavefn.local.kube.clock import Clock, ManualClock, wall_clock
from weavefn.local.kube.faults import Fault, FaultRule, RecordedCall, Verb
from weavefn.local.kube.localkube import LocalKube
from weavefn.local.kube.persist import open_local
from weavefn.local.kube.scaling import SCALER

__all__ = [
    "SCALER",
    "Access",
    "Clock",
    "Fault",
    "FaultRule",
    "LocalKube",
    "ManualClock",
    "RecordedCall",
    "Verb",
    "open_local",
    "wall_clock",
]
