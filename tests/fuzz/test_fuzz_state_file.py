"""The local cluster's state file fed mutations of a real one, random JSON and random bytes.

What may come out of the loader: the state, or an InvalidInputError naming the file. A state
it accepts must then work: ``status``, ``plan`` and ``reconcile`` end with an exit code (0, 1
or 2) and no exception, as they would on a file weavefn wrote itself.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from weavefn.backend import Access
from weavefn.cli.main import main as cli_main
from weavefn.errors import InvalidInputError
from weavefn.local.kube import open_local

from tests.fuzz.strategies import FUZZ, deep_json_text, encode, json_values, mutated
from tests.support.local_state import saved_state


class Blob(bytes):
    """File content that prints short: a whole state file would flood the report."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"<{len(self)} bytes: {bytes(self[:60])!r}...>")


def state_bytes() -> st.SearchStrategy[bytes]:
    encoded = st.builds(saved_state).flatmap(mutated).map(encode).map(Blob)
    return st.one_of(
        encoded,
        encoded,  # twice as likely: the mutations are what reach deep into the checks
        encoded.flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n])),
        json_values.map(encode).map(Blob),
        st.binary(max_size=300),
        st.just(deep_json_text().encode()),
    )


def _run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli_main(list(argv))
    return code, err.getvalue()


def test_the_sample_state_loads_and_runs(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps(saved_state()))
    for command in ("status", "plan", "reconcile"):
        assert _run(command, "--cluster", f"local:{path}") == (0, "")


@FUZZ
@given(content=state_bytes())
def test_a_state_file_loads_cleanly_or_is_refused_naming_it(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    path = Path(tmp_path_factory.mktemp("state")) / "cluster.json"
    path.write_bytes(content)
    try:
        with open_local(path, access=Access.READ):
            accepted = True
    except InvalidInputError as refused:
        accepted = False
        assert all(e.path.startswith(str(path)) for e in refused.errors)
        assert refused.hint and "delete it" in refused.hint
    assert path.read_bytes() == content, "loading must not change the file"
    for command in ("status", "plan", "reconcile"):
        code, err = _run(command, "--cluster", f"local:{path}")
        assert "Traceback" not in err
        if not accepted:
            assert code == 2 and str(path) in err
        else:
            assert code in (0, 1), err
