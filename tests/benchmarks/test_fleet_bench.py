"""Fleet reconcile: 1,000 clusters, 20 ms per API call (run with --benchmark-only).

.venv/bin/pytest tests/benchmarks/test_fleet_bench.py -o addopts="" --benchmark-only -s
"""

from __future__ import annotations

import pytest

from tests.benchmarks.fleet import fleet, peak_rss_mb, timed_pass

CLUSTERS, LATENCY, WORKERS = 1000, 0.020, 64


@pytest.mark.benchmark(group="fleet")
def test_fleet_reconcile(benchmark) -> None:
    kube, service = fleet(CLUSTERS, latency=LATENCY, workers=WORKERS)
    first = timed_pass(kube, service, CLUSTERS)
    steady = benchmark.pedantic(lambda: timed_pass(kube, service, CLUSTERS), rounds=3, iterations=1)
    rss = peak_rss_mb()
    benchmark.extra_info.update(
        first_seconds=round(first.seconds, 2),
        first_reads_per_cluster=round(first.reads_per_cluster, 2),
        first_writes_per_cluster=round(first.writes_per_cluster, 2),
        steady_seconds=round(steady.seconds, 2),
        steady_reads_per_cluster=round(steady.reads_per_cluster, 3),
        steady_writes=steady.writes,
        peak_rss_mb=round(rss, 1),
    )
    print(f"\nfirst:  {first}\nsteady: {steady}\npeak RSS {rss:.0f} MB")
    assert first.ok == CLUSTERS and steady.ok == CLUSTERS
    assert steady.writes == 0
    assert steady.reads_per_cluster <= 2
