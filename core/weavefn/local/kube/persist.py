"""Keeping the local cluster in a JSON file between CLI invocations, one process at a time."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from weavefn.errors import FieldError, InvalidInputError, UnavailableError
from weavefn.local.kube.clock import OffsetClock
from weavefn.local.kube.localkube import LocalKube

LOCK_TIMEOUT_SECONDS = 30.0
CLOCK_KEY = "clock"
"""extras[CLOCK_KEY]["offset"]: seconds the cluster's time runs ahead of the wall clock."""


def _load(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            [
                FieldError(
                    str(path), f"not a local cluster state file ({exc.msg}, line {exc.lineno})"
                )
            ],
            what="local cluster state",
        ) from None
    if not isinstance(data, dict):
        raise InvalidInputError(
            [FieldError(str(path), "expected a JSON object")], what="local cluster state"
        )
    return data


def _save(path: Path, data: dict[str, Any]) -> None:
    """Write a temp file beside ``path`` and rename it over, so readers never see half a file."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def open_local(path: str | os.PathLike[str], *, ready_delay: float = 0.0) -> Iterator[LocalKube]:
    """The local cluster saved at ``path`` (created when missing), locked for this process.

    Uses wall-clock time (plus the offset ``weavefn run`` moved it by), so pods started by
    one invocation are Ready in a later one. State is saved only when the block exits
    normally: a failed command leaves the file as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target) + ".lock", timeout=LOCK_TIMEOUT_SECONDS)
    try:
        lock.acquire()
    except Timeout:
        raise UnavailableError(
            f"the local cluster {target} is locked by another process for over {LOCK_TIMEOUT_SECONDS:.0f}s"
        ) from None
    try:
        clock = OffsetClock()
        kube = LocalKube(clock=clock, ready_delay=ready_delay)
        data = _load(target)
        if data is not None:
            kube.load_json(data)
            clock.offset = float((kube.extras.get(CLOCK_KEY) or {}).get("offset", 0.0))
        yield kube
        if clock.offset:
            kube.extras[CLOCK_KEY] = {"offset": clock.offset}
        _save(target, kube.to_json())
    finally:
        lock.release()
