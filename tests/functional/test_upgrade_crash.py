"""A function killed right after any single status write: the upgrade still converges."""

from __future__ import annotations

from typing import Any

import pytest
from weavefn.local.kube import LocalKube, ManualClock
from weavefn.local.weaviate.connector import edit_sim

from tests.functional.test_upgrade import KEY, NAME, NEW, NS, RESTART, Run, manifest


class Killed(Exception):
    """The platform stopped the function: nothing after the write happened."""


class CrashingKube(LocalKube):
    """A local cluster whose ``crash_at``-th status write lands, then kills the caller."""

    crash_at: int | None = None
    status_writes = 0

    def replace_cluster_status(self, cluster: dict[str, Any]) -> dict[str, Any]:
        written = super().replace_cluster_status(cluster)
        self.status_writes += 1
        if self.status_writes == self.crash_at:
            raise Killed(f"killed after status write {self.status_writes}")
        return written


def upgraded(clock: ManualClock, crash_at: int | None) -> tuple[Run, dict[str, Any]]:
    kube = CrashingKube(clock=clock, ready_delay=RESTART)
    kube.apply_cluster(manifest())
    run = Run(kube, clock)
    for _ in range(3):
        run.invoke()
        clock.advance(RESTART + 1)
    run.request(NEW)
    kube.status_writes = 0
    kube.crash_at = crash_at
    return run, run.until_done()


def _writes_of_a_clean_upgrade() -> int:
    run, _ = upgraded(ManualClock(1_795_000_000.0), None)
    assert isinstance(run.kube, CrashingKube)
    return run.kube.status_writes


WRITES = _writes_of_a_clean_upgrade()


def test_a_clean_upgrade_writes_status_several_times():
    assert WRITES >= 6  # each phase change is saved before it is acted on


@pytest.mark.parametrize("crash_at", range(1, WRITES + 1), ids=lambda n: f"killed-after-write-{n}")
def test_killed_after_any_status_write_converges_to_the_same_end(clock: ManualClock, crash_at: int):
    run, final = upgraded(clock, crash_at)

    assert isinstance(run.kube, CrashingKube) and run.kube.status_writes >= crash_at
    assert final["lastOperation"]["phase"] == "Succeeded"
    assert final["currentVersion"] == NEW
    assert run.pods() == {f"{NAME}-{i}": (NEW, True) for i in range(3)}
    (backup,) = final["backups"]  # exactly one backup id for the one attempt
    assert backup["status"] == "SUCCESS"
    with edit_sim(run.kube, KEY) as sim:
        assert [b.id for b in sim.state.backups] == [backup["id"]]  # Weaviate was asked once
    assert run.kube.get_cluster(NS, NAME)["spec"]["version"] == NEW
