"""The module names of each Weaviate release: lookups, refusals, and the data's own consistency."""

from __future__ import annotations

import pytest
from weavefn.model.units import Version
from weavefn.render.modules import _KNOWN_ENV, INFERENCE_MODULES
from weavefn.weaviate.module_catalog import (
    MODULE_SINCE,
    NEWEST_KNOWN_LINE,
    module_problem,
    modules_of,
)


@pytest.mark.parametrize(
    ("name", "version", "accepted"),
    [
        pytest.param("text2vec-openai", "1.25.0", True, id="from-the-floor"),
        pytest.param("text2vec-azure-openai", "1.33.1", False, id="never-existed"),
        pytest.param("generative-azure-openai", "1.27.0", False, id="never-existed-generative"),
        pytest.param("text2vec-weaviate", "1.26.18", False, id="before-its-line"),
        pytest.param("text2vec-weaviate", "1.27.0", True, id="from-its-line"),
        pytest.param("generative-google", "1.25.20", False, id="before-the-backport"),
        pytest.param("generative-google", "1.25.21", True, id="backported-patch"),
        pytest.param("generative-google", "1.26.6", False, id="before-the-backport-next-line"),
        pytest.param("generative-google", "1.26.7", True, id="backported-next-line"),
        pytest.param("generative-google", "1.30.2", True, id="later-line"),
        pytest.param("text2vec-palm", "1.39.0", True, id="legacy-name-still-accepted"),
        pytest.param("generative-dummy", "1.30.0", False, id="test-only-module-left-out"),
        pytest.param("backup-azure", "1.25.0", True, id="backup-module"),
        pytest.param("usage-s3", "1.31.22", False, id="usage-before-1-32"),
    ],
)
def test_module_names_follow_the_release(name: str, version: str, accepted: bool) -> None:
    assert (module_problem(name, version) is None) is accepted


def test_a_release_newer_than_the_data_cannot_refuse_anything() -> None:
    line = f"{NEWEST_KNOWN_LINE[0]}.{NEWEST_KNOWN_LINE[1] + 1}.0"
    assert modules_of(line) is None
    assert module_problem("text2vec-something-new", line) is None


def test_entries_are_first_releases_in_ascending_lines() -> None:
    for name, firsts in MODULE_SINCE.items():
        versions = [Version.parse(v) for v in firsts]
        lines = [v.minor_line for v in versions]
        # one entry per line, consecutive lines, only the last may start at .0
        assert lines == [(1, lines[0][1] + i) for i in range(len(lines))], name
        assert all(v.patch > 0 for v in versions[:-1]), name


def test_every_module_weavefn_renders_for_exists() -> None:
    names = {*INFERENCE_MODULES, *(module for module, _ in _KNOWN_ENV)}
    names |= {"backup-s3", "backup-gcs", "backup-azure", "backup-filesystem"}
    assert names - MODULE_SINCE.keys() == set()
