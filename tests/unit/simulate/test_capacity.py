"""The capacity model: the operating point, CPU, and latency from the M/M/c approximation."""

from __future__ import annotations

import pytest
from weavefn.simulate.capacity import TIMEOUT, CapacityModel, erlang_c

MODEL = CapacityModel.of(target_qps=1000, target_cpu=70)


def test_a_replica_at_target_qps_runs_at_target_cpu() -> None:
    assert MODEL.capacity_qps == pytest.approx(1000 / 0.7)
    assert MODEL.cpu_percent(MODEL.cpu_demand(3000), 3) == pytest.approx(70)
    assert MODEL.workers * (1 / MODEL.service_time) == pytest.approx(MODEL.capacity_qps)


@pytest.mark.parametrize(
    ("servers", "offered", "expected"),
    [
        pytest.param(1, 0.5, 0.5, id="mm1-waits-with-probability-rho"),
        pytest.param(2, 1.0, 1 / 3, id="mm2-textbook"),
        pytest.param(4, 0.0, 0.0, id="idle"),
        pytest.param(4, 4.0, 1.0, id="saturated"),
    ],
)
def test_erlang_c_matches_known_values(servers: int, offered: float, expected: float) -> None:
    assert erlang_c(servers, offered) == pytest.approx(expected)


def test_latency_grows_with_load_and_never_falls_below_the_service_time() -> None:
    loads = [0.1, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99]
    latencies = [MODEL.latency(rho * MODEL.capacity_qps * 4, 4) for rho in loads]
    assert latencies == sorted(latencies)
    assert latencies[0] == pytest.approx(MODEL.service_time)
    assert MODEL.latency(0.7 * MODEL.capacity_qps, 1) < 0.05 < MODEL.latency(0.97 * 1428.6, 1)


@pytest.mark.parametrize(
    ("qps", "ready"),
    [
        pytest.param(1500.0, 1, id="over-capacity"),
        pytest.param(100.0, 0, id="no-ready-replica"),
    ],
)
def test_saturation_reads_as_the_timeout(qps: float, ready: int) -> None:
    assert MODEL.latency(qps, ready) == TIMEOUT


def test_cpu_never_reads_above_the_request() -> None:
    assert MODEL.cpu_percent(MODEL.cpu_demand(9000), 3) == 100


def test_more_replicas_lower_latency_for_the_same_load() -> None:
    assert MODEL.latency(5000, 4) > MODEL.latency(5000, 5) > MODEL.latency(5000, 8)


def test_pooled_latency_of_one_step_is_that_steps_latency() -> None:
    assert MODEL.pooled_latency([(3800.0, 3)]) == pytest.approx(MODEL.latency(3800, 3), rel=1e-6)


def test_one_saturated_step_in_a_window_dominates_the_pooled_quantile() -> None:
    calm = (3000.0, 3)
    assert MODEL.pooled_latency([calm, calm, calm, (6000.0, 3)]) == TIMEOUT
    assert MODEL.pooled_latency([]) is None


@pytest.mark.parametrize(
    ("qps", "replicas"),
    [
        pytest.param(1000.0, 1, id="exactly-one"),
        pytest.param(9001.0, 10, id="just-above-nine"),
        pytest.param(0.0, 1, id="idle-still-one"),
    ],
)
def test_replicas_for_sizes_at_the_target(qps: float, replicas: int) -> None:
    assert MODEL.replicas_for(qps) == replicas


def test_no_cpu_target_means_seventy_percent() -> None:
    assert CapacityModel.of(target_qps=700).capacity_qps == pytest.approx(1000)
