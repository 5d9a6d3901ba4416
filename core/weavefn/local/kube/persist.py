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

from weavefn.backend import Access
from weavefn.errors import (
    FieldError,
    InvalidInputError,
    NotFoundError,
    TerminalError,
    UnavailableError,
)
from weavefn.local.kube.clock import OffsetClock, wall_clock
from weavefn.local.kube.localkube import LocalKube

LOCK_TIMEOUT_SECONDS = 30.0
CLOCK_KEY = "clock"
"""extras[CLOCK_KEY]["offset"]: seconds the cluster's time runs ahead of the wall clock."""


def start_over(path: Path) -> str:
    return (
        f"to start over, move {path} away or delete it; `weavefn apply -f FILE` creates a "
        "new local cluster there"
    )


def _load(path: Path) -> dict[str, Any] | None:
    """The saved state, checked whole; None when there is none."""
    from weavefn.local.state_file import state_problems

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInputError(
            [FieldError(str(path), f"cannot read the local cluster state: {exc.strerror}")],
            what="local cluster state",
        ) from None
    problems = state_problems(raw)
    if problems:
        raise InvalidInputError(
            [
                FieldError(f"{path}: {p.path}" if p.path != "(root)" else str(path), p.message)
                for p in problems
            ],
            what="local cluster state",
            hint=f"{path} is not a local cluster state this weavefn can use; {start_over(path)}",
        )
    data: dict[str, Any] = json.loads(raw)
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


def _offset(kube: LocalKube) -> float:
    return float((kube.extras.get(CLOCK_KEY) or {}).get("offset", 0.0))


@contextlib.contextmanager
def open_local(
    path: str | os.PathLike[str], *, ready_delay: float = 0.0, access: Access = Access.WRITE
) -> Iterator[LocalKube]:
    """The local cluster saved at ``path``, validated whole before it is used.

    Uses wall-clock time (plus the offset ``weavefn run`` moved it by), so pods started by one
    invocation are Ready in a later one. With WRITE access the file is created when missing
    and locked for this process, and state is saved only when the block exits normally: a
    failed command leaves the file as it was.
    With READ access nothing on disk changes (saves are atomic renames, so no lock is needed
    to read a whole file), and a missing file is a NotFoundError.
    """
    target = Path(path)
    clock = OffsetClock(base=wall_clock)  # read here: tests hold this module's wall_clock
    if access is Access.READ:
        kube = LocalKube(clock=clock, ready_delay=ready_delay)
        data = _load(target)
        if data is None:
            raise NotFoundError(
                f"no local cluster at {target}: `weavefn apply -f FILE` creates one there, "
                "or name another with --cluster"
            )
        kube.load_json(data)
        clock.offset = _offset(kube)
        yield kube
        return
    lock = FileLock(str(target) + ".lock", timeout=LOCK_TIMEOUT_SECONDS)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise UnavailableError(
            f"the local cluster {target} is locked by another process for over {LOCK_TIMEOUT_SECONDS:.0f}s"
        ) from None
    except OSError as exc:
        raise TerminalError(f"cannot open the local cluster at {target}: {exc}") from None
    try:
        kube = LocalKube(clock=clock, ready_delay=ready_delay)
        data = _load(target)
        if data is not None:
            kube.load_json(data)
            clock.offset = _offset(kube)
        yield kube
        if clock.offset:
            kube.extras[CLOCK_KEY] = {"offset": clock.offset}
        try:
            _save(target, kube.to_json())
        except OSError as exc:
            raise TerminalError(f"cannot save the local cluster at {target}: {exc}") from None
    finally:
        lock.release()
