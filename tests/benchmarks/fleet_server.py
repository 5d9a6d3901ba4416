"""A fleet served over HTTP from its own process: the API server side of the 10,000 benchmark.

``python -m tests.benchmarks.fleet_server --clusters N --latency 0.02`` builds N clusters from
examples/production-aws.yaml on the local cluster, runs the first reconcile pass in process (no
latency), then serves the local cluster over HTTP with ``latency`` seconds per request and
prints ``ready <url>``. It stops when its standard input closes.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from tests.benchmarks.fleet import fleet
from tests.support.kube_http import make_server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.020)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    started = time.perf_counter()
    kube, service = fleet(args.clusters, latency=0.0, workers=args.workers)
    report = service.reconcile(deadline=time.monotonic() + 3600)
    failed = [k for k, r in report.clusters.items() if not r.ok]
    if failed or report.skipped:
        print(f"first pass failed on {len(failed)}: {failed[:3]}", file=sys.stderr)
        return 1
    server = make_server(kube, latency=args.latency)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    built = time.perf_counter() - started
    print(f"ready http://127.0.0.1:{server.server_address[1]} built in {built:.0f} s", flush=True)
    sys.stdin.read()  # until the benchmark closes our standard input
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
