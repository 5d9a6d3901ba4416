"""10,000 clusters at 20 ms per API call, the API served by another process (run it alone).

.venv/bin/pytest tests/benchmarks/test_fleet_10k_bench.py -o addopts="" -s

The API server process (tests/benchmarks/fleet_server.py) holds the fleet on the local
cluster, runs its first pass in process and serves it over HTTP, 20 ms per request. The
function process (tests/benchmarks/fleet_function.py) runs steady passes through RealKube and
the official kubernetes client, 64 workers, and reports its own peak RSS, which the server's
memory no longer inflates. Targets: a steady pass <= 60 s, 0 writes, RSS <= 512 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLUSTERS = int(os.environ.get("WEAVEFN_BENCH_CLUSTERS", "10000"))


@pytest.mark.timeout(3600)
def test_fleet_of_ten_thousand_in_its_own_process() -> None:
    server = subprocess.Popen(  # nosec B603 # this repository's own module
        [sys.executable, "-m", "tests.benchmarks.fleet_server", "--clusters", str(CLUSTERS)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = server.stdout.readline().split()
        assert ready[:1] == ["ready"], ready
        done = subprocess.run(  # nosec B603 # this repository's own module
            [sys.executable, "-m", "tests.benchmarks.fleet_function", ready[1], "--passes", "3"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=3000,
            check=True,
        )
    finally:
        server.communicate(input="", timeout=60)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    passes, (peak,) = lines[:-1], lines[-1:]
    print(f"\nbuilt: {' '.join(ready[2:])}")
    for found in passes:
        print(found)
    print(peak)
    assert all(p["ok"] == CLUSTERS and p["writes"] == 0 for p in passes)
    assert all(p["server_writes"] == 0 for p in passes)
