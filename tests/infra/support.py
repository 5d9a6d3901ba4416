"""Shared helpers of the deployment checks: the fixed entry points, tool lookup, HCL loading."""

from __future__ import annotations

import ast
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest

ROOT = Path(__file__).resolve().parents[2]

# The entry point names every deployment wires to; the function sources must define them.
ENTRY_POINTS: dict[str, frozenset[str]] = {
    "functions/aws/handlers.py": frozenset({"alarm", "schedule", "webhook", "queue"}),
    "functions/gcp/main.py": frozenset({"on_pubsub", "on_http"}),
    "functions/azure/function_app.py": frozenset(
        {"alert", "admission", "upgrade", "schedule", "fanout"}
    ),
}


def tool(name: str, *candidates: Path) -> str:
    """The path of an external tool; skipped locally when absent, a failure under CI."""
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (bash .ci/setup installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _decorator_name(decorator: ast.expr) -> str | None:
    """``@app.function_name(name="x")`` -> ``x``; Azure names a function this way."""
    if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "function_name":
        for keyword in decorator.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
        if decorator.args and isinstance(decorator.args[0], ast.Constant):
            return str(decorator.args[0].value)
    return None


def defined_entry_points(source: Path) -> set[str]:
    """Top-level function names of a module, plus Azure ``function_name`` overrides."""
    names: set[str] = set()
    for node in ast.parse(source.read_text(), filename=str(source)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            overrides = {n for d in node.decorator_list if (n := _decorator_name(d))}
            names |= overrides or {node.name}
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps HCL's quotes on keys and strings; tests compare plain values."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def load_hcl(directory: Path) -> dict[str, list[Any]]:
    """Every top-level block of the directory's .tf files, by block type."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            for key, blocks in _unquote(hcl2.load(handle)).items():
                merged.setdefault(key, []).extend(blocks)
    return merged


def resources(parsed: dict[str, list[Any]], kind: str) -> dict[str, dict[str, Any]]:
    """Resources of one type by name."""
    found: dict[str, dict[str, Any]] = {}
    for block in parsed.get("resource", []):
        for name, body in block.get(kind, {}).items():
            found[name] = body
    return found


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair nested anywhere in parsed HCL or JSON."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner)


def checkov_failures(target: Path, *, framework: str) -> list[str]:
    """Failed checkov checks (id and resource) for a file or directory; skips are honoured."""
    import json
    import subprocess

    checkov = tool("checkov", ROOT / ".tools/checkov/bin/checkov")
    flag = "-d" if target.is_dir() else "-f"
    run = subprocess.run(
        [
            *(checkov, flag, str(target), "--framework", framework),
            *("--output", "json", "--quiet", "--skip-download", "--soft-fail"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    reports = json.loads(run.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    failed: list[str] = []
    for report in reports:
        summary = report["summary"]
        assert summary["parsing_errors"] == 0, summary
        assert summary["resource_count"] > 0, f"checkov found nothing to scan in {target}"
        results = report.get("results", {})
        for check in results.get("failed_checks", []):
            failed.append(f"{check['check_id']} {check['resource']}")
    return failed
