"""Rebalancing after a scale-out: replicas MOVE onto the new nodes, a few per pass, RF kept."""

from __future__ import annotations

from collections import Counter

from tests.functional.test_scale_in import KEY, NAME, assert_data_safe, rig

NEW = (f"{NAME}-3", f"{NAME}-4")


def scale_out(r) -> None:
    r.load.set(KEY, cpu=120)  # 3 nodes at 120% of a 70% target: 5 nodes (maxReplicas)
    r.run()
    assert r.replicas() == 5
    r.load.set(KEY, cpu=60)  # 5 nodes on target: no further scaling


def test_rebalance_moves_replicas_onto_the_new_nodes(kube, clock, now) -> None:
    with rig(kube, clock, now, replicas=3, rebalance=True) as r:
        scale_out(r)

        r.run()

        operation = r.status()["operation"]
        assert operation["kind"] == "Rebalance"
        assert len(operation["details"]["moves"]) <= 4, "bounded per pass"
        assert {m["target"] for m in operation["details"]["moves"]} <= set(NEW)
        for _ in range(20):
            r.run()
            last = r.status().get("lastOperation") or {}
            if last.get("phase") == "Balanced":
                break
        else:
            raise AssertionError(f"not balanced: {r.status().get('operation')}")

        loads = Counter(node for replicas in r.placement().values() for node in replicas)
        assert all(loads[node] > 0 for node in NEW)
        assert max(loads.values()) - min(loads.values()) <= 1
        assert all(op.final is not None and not op.errors for op in r.sim.state.ops)
        assert r.replicas() == 5
        assert_data_safe(r)


def test_without_rebalance_new_nodes_stay_empty(kube, clock, now) -> None:
    with rig(kube, clock, now, replicas=3) as r:
        scale_out(r)

        r.run(3)

        assert r.on(*NEW) == 0 and r.sim.state.ops == []
        assert r.status().get("operation") is None
