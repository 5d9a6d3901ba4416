"""`weavefn invoke`: the README's first run, placeholder signatures explained, --sign."""

from __future__ import annotations

from pathlib import Path

import pytest
from weavefn.cli.main import main

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("WEAVEFN_CLUSTER", "WEAVEFN_UPGRADE_SECRET", "WEAVEFN_QUEUE"):
        monkeypatch.delenv(name, raising=False)
    setting = f"local:{tmp_path / 'cluster.json'}"
    assert (
        main(["apply", "-f", str(ROOT / "examples/production-aws.yaml"), "--cluster", setting]) == 0
    )
    return setting


def invoke(*args: str, cluster: str) -> int:
    return main(["invoke", *args, "--cluster", cluster])


def test_alarm_sample_scales_the_example_cluster(
    cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = invoke(str(ROOT / "events/aws/cloudwatch-alarm-sns.json"), cluster=cluster)

    out = capsys.readouterr().out
    assert code == 0
    assert "functions/aws/handlers.alarm" in out
    assert "weaviate/production:" in out and "scaled 3 -> 5" in out


def test_upgrade_sample_says_its_signature_is_a_placeholder(
    cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = invoke(str(ROOT / "events/aws/apigw-upgrade-request.json"), cluster=cluster)

    captured = capsys.readouterr()
    assert code == 1
    assert "HTTP 401" in captured.out
    assert "placeholder" in captured.err and "--sign" in captured.err


@pytest.mark.parametrize(
    "sample",
    [
        pytest.param("events/aws/apigw-upgrade-request.json", id="aws"),
        pytest.param("events/gcp/http-upgrade-request.json", id="gcp"),
    ],
)
def test_signed_upgrade_sample_is_accepted(
    sample: str, cluster: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = invoke(str(ROOT / sample), "--sign", cluster=cluster)

    out = capsys.readouterr().out
    assert code == 0
    assert "HTTP 202" in out and '"version":"1.27.3"' in out


def test_unreadable_event_file_is_a_usage_error(
    cluster: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "event.json"
    bad.write_text("{not json")

    assert invoke(str(bad), cluster=cluster) == 2
    assert "not JSON" in capsys.readouterr().err
