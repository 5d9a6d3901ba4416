"""The production example's StatefulSet, pinned byte for byte.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 .venv/bin/pytest
tests/unit/render/test_golden.py`` and review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from weavefn.render import default_voters, render_statefulset

from tests.unit.render.conftest import load_example

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "production-aws-statefulset.yaml"


def test_production_statefulset_matches_golden() -> None:
    cluster = load_example("production-aws.yaml")
    voters = default_voters(cluster.metadata.name, cluster.spec.replicas, cluster.spec.voters)
    rendered = yaml.safe_dump(render_statefulset(cluster, voters=voters), sort_keys=False)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(rendered)
    assert GOLDEN.exists(), f"missing {GOLDEN}: run with UPDATE_GOLDEN=1 to create it"
    assert rendered == GOLDEN.read_text(), (
        "rendered StatefulSet differs from the golden file; if intended, regenerate with "
        "UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/render/test_golden.py"
    )
