"""LocalKube: the whole local API server, plus the knobs tests turn (faults, failing pods)."""

from __future__ import annotations

from weavefn.kube.port import KubeApi
from weavefn.local.kube.faults import Fault, FaultRule, RecordedCall, Verb
from weavefn.local.kube.pods import PodFailure
from weavefn.local.kube.scaling import ScalingEndpoints


class LocalKube(ScalingEndpoints):
    """An in-memory Kubernetes API server implementing every KubeApi port.

    ``clock`` drives the simulated pods (default: a ManualClock that only moves when told);
    pods become Ready ``ready_delay`` seconds after they start; every call sleeps ``latency``
    seconds outside the lock; ``seed`` makes the random fault rate reproducible.
    """

    # -- call log -------------------------------------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._log.calls)

    @property
    def reads(self) -> int:
        return self._log.reads

    @property
    def writes(self) -> int:
        return self._log.writes

    def reset_calls(self) -> None:
        with self._lock:
            self._log.reset()

    def compact(self) -> None:
        """Forget past revisions, as etcd's compaction does: open continue tokens expire (410)."""
        with self._lock:
            self._pages.compact()

    # -- faults ---------------------------------------------------------------------------

    def add_fault(
        self,
        fault: Fault = Fault.UNAVAILABLE,
        *,
        verb: Verb | None = None,
        kind: str | None = None,
        times: int = 1,
        cluster: str | None = None,
    ) -> FaultRule:
        """Fail the next ``times`` calls matching ``verb``, ``kind`` and ``cluster`` (None: any)."""
        rule = FaultRule(fault=fault, verb=verb, kind=kind, times=times, cluster=cluster)
        with self._lock:
            self._log.add(rule)
        return rule

    def set_fault_rate(self, rate: float, *, fault: Fault = Fault.UNAVAILABLE) -> None:
        """Fail each call with probability ``rate``, drawn from the seed and the call itself."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("a fault rate is a probability between 0 and 1")
        with self._lock:
            self._log.set_fault_rate(rate, fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._log.clear_faults()

    # -- pod failures ---------------------------------------------------------------------

    def fail_pod(
        self, namespace: str, name: str, failure: PodFailure = PodFailure.CRASH_LOOP
    ) -> None:
        """The pod (and its replacements of the same name) never becomes Ready: it crash-loops
        (the default), or runs with a readiness probe that never passes (NOT_READY)."""
        with self._lock:
            self._sim.state.failed_pods[f"{namespace}/{name}"] = failure
            self._sim.touch_all()

    def fail_image(self, image_substring: str, failure: PodFailure = PodFailure.IMAGE_PULL) -> None:
        """Pods running an image containing ``image_substring`` never become Ready: the image
        cannot be pulled (the default), or it crash-loops (CRASH_LOOP), or never gets Ready."""
        with self._lock:
            self._sim.state.failed_images[image_substring] = failure
            self._sim.touch_all()

    def heal(
        self, namespace: str | None = None, name: str | None = None, *, image: str | None = None
    ) -> None:
        """Undo fail_pod for one pod, fail_image for one image, or with no argument, all."""
        with self._lock:
            state = self._sim.state
            if namespace is None and name is None and image is None:
                state.failed_pods.clear()
                state.failed_images.clear()
            if namespace is not None and name is not None:
                state.failed_pods.pop(f"{namespace}/{name}", None)
            if image is not None:
                state.failed_images.pop(image, None)
            self._sim.touch_all()


def _conforms(kube: LocalKube) -> KubeApi:
    """mypy proves here that LocalKube implements every port."""
    return kube
