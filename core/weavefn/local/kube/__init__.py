"""The local cluster: an in-memory Kubernetes API server, the default backend and the test fake."""

from weavefn.kube.local.clock import Clock, ManualClock, wall_clock
from weavefn.kube.local.faults import Call, Fault, FaultRule, Verb
from weavefn.kube.local.localkube import LocalKube
from weavefn.kube.local.persist import open_local
from weavefn.kube.local.scaling import SCALER

__all__ = [
    "SCALER",
    "Call",
    "Clock",
    "Fault",
    "FaultRule",
    "LocalKube",
    "ManualClock",
    "Verb",
    "open_local",
    "wall_clock",
]
