"""`weavefn simulate`: the comparison table on a short trace, a plot, and bad input as exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from weavefn.cli.main import main

from tests.functional.conftest import ROOT, example

CLUSTER = str(ROOT / "examples" / "production-aws.yaml")


def short_trace(path: Path) -> Path:
    """Forty minutes: calm, a burst to 7000 qps for ten minutes, calm again."""
    rows = ["time,qps"]
    for minute in range(41):
        qps = 7000 if 10 <= minute < 20 else 2500
        rows.append(f"{minute * 60},{qps}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_prints_the_four_policies_side_by_side(tmp_path: Path, capsys) -> None:
    trace = short_trace(tmp_path / "burst.csv")

    code = main(["simulate", "-f", CLUSTER, "--trace", str(trace), "--ready-delay", "60"])

    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("policy"))
    assert "replica-hours" in header and "min above target" in header
    rows = {line.split()[0]: line.split() for line in lines if line.split()}
    assert {"weavefn", "static-peak", "hpa-cpu", "alarm-5min"} <= set(rows)
    # static provisioning at the 7000 qps peak: 7 replicas for the whole 40 minutes
    assert float(rows["static-peak"][1]) == pytest.approx(7 * 40 / 60, abs=0.05)
    assert float(rows["weavefn"][1]) < float(rows["static-peak"][1])
    assert "fewer replica-hours than static-peak" in out


def test_writes_the_plot(tmp_path: Path, capsys) -> None:
    trace = short_trace(tmp_path / "burst.csv")
    png = tmp_path / "out.png"

    code = main(["simulate", "-f", CLUSTER, "--trace", str(trace), "--plot", str(png)])

    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(png) in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param("time,qps\n0,100\n60,lots\n", "line 3 column qps", id="not-a-number"),
        pytest.param("seconds,qps\n0,1\n60,2\n", "line 1", id="bad-header"),
        pytest.param("time,qps\n0,1\n0,2\n", "line 3 column time", id="time-not-increasing"),
    ],
)
def test_a_bad_trace_exits_2_naming_line_and_column(
    tmp_path: Path, capsys, text: str, where: str
) -> None:
    trace = tmp_path / "bad.csv"
    trace.write_text(text)

    code = main(["simulate", "-f", CLUSTER, "--trace", str(trace)])

    err = capsys.readouterr().err
    assert code == 2
    assert f"{trace} {where}" in err
    assert "Traceback" not in err


def test_a_cluster_without_a_qps_target_exits_2_naming_the_field(tmp_path: Path, capsys) -> None:
    raw = example("production-aws.yaml")
    del raw["spec"]["autoScaling"]["targetQPS"]
    manifest = tmp_path / "cluster.yaml"
    manifest.write_text(yaml.safe_dump(raw))

    code = main(["simulate", "-f", str(manifest), "--trace", str(short_trace(tmp_path / "t.csv"))])

    assert code == 2
    assert "spec.autoScaling.targetQPS" in capsys.readouterr().err


def test_a_negative_ready_delay_is_a_usage_error(tmp_path: Path, capsys) -> None:
    trace = short_trace(tmp_path / "t.csv")
    with pytest.raises(SystemExit) as exited:
        main(["simulate", "-f", CLUSTER, "--trace", str(trace), "--ready-delay", "-5"])
    assert exited.value.code == 2
    assert "--ready-delay" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("where", "problem"),
    [
        pytest.param("missing-folder/out.png", "does not exist", id="folder-missing"),
        pytest.param(".", "is a folder", id="a-folder"),
    ],
)
def test_an_unwritable_plot_is_refused_before_the_run(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, where: str, problem: str
) -> None:
    from weavefn.simulate import run

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the simulation ran before the plot target was checked")

    monkeypatch.setattr(run, "simulate", never)
    trace = short_trace(tmp_path / "t.csv")
    target = str(tmp_path / where)

    code = main(["simulate", "-f", CLUSTER, "--trace", str(trace), "--plot", target])

    err = capsys.readouterr().err
    assert code == 2
    assert "--plot" in err and problem in err


def test_missing_matplotlib_is_named_before_the_run(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from weavefn.simulate import run

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    monkeypatch.setattr(run, "simulate", lambda *a, **k: pytest.fail("ran before the check"))
    trace = short_trace(tmp_path / "t.csv")

    code = main(["simulate", "-f", CLUSTER, "--trace", str(trace), "--plot", "out.png"])

    assert code == 2
    assert "pip install 'weavefn[plot]'" in capsys.readouterr().err
