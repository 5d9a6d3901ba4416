"""Start-up cost of a process, against the floor of the third-party modules it ends up loading.

A subject is a command (``import functions.aws.handlers``, ``weavefn --help``). Its floor is a
process that imports, in the same order, every module the subject's process holds at exit
except weavefn's and the adapters' own: the standard library and third-party cost the subject
cannot avoid once it needs those modules. Each round runs, in fresh processes from a neutral
directory: the floor, the subject, and the floor followed by the subject in one process,
timing the subject alone (``own``: what weavefn adds once its dependencies are loaded).
Times are CPU time (user + system) of the process, so waiting for a busy machine's cores is
not counted; on an idle machine they are the wall-clock start-up. The figures are medians.

``python -m tests.benchmarks.startup [--runs N] [--baseline DIR]`` prints the table; with
``--baseline`` (another checkout's root, e.g. main exported by ``git archive``) it measures
that tree's subjects in the same rounds, side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = ("weavefn", "functions", "main")
"""Top-level names of our code (``main`` is functions-framework's copy of gcp/main.py)."""
# Modules a process holds that a floor cannot (or must not) import by name.
_NOT_IMPORTABLE = ("__main__", "__mp_main__", "site", "sitecustomize", "usercustomize")

EXAMPLE = ROOT / "examples" / "production-aws.yaml"
CLI = """
import sys
from weavefn.cli.main import main
sys.argv[0] = "weavefn"
try:
    main({args!r})
except SystemExit:  # --help exits once it has printed
    pass
"""


COLD_ALARM = """
import json, os, shutil, tempfile
state = os.path.join(tempfile.mkdtemp(), "cluster.json")
shutil.copy({pristine!r}, state)
os.environ["WEAVEFN_CLUSTER"] = "local:" + state
from functions.aws.handlers import LocalContext, alarm
alarm(json.load(open({event!r})), LocalContext())
"""
"""A Lambda cold start end to end: the import, then the first alarm (the runtime is built, the
payload parsed, the cluster reconciled and scaled 3 -> 5 on a saved local cluster)."""


def pristine_cluster() -> str:
    """The production example applied and reconciled once, in a file each cold start copies."""
    where = Path(tempfile.mkdtemp(prefix="weavefn-cold-")) / "cluster.json"
    setting = f"local:{where}"
    for args in (["apply", "-f", str(EXAMPLE)], ["reconcile"]):
        subprocess.run(
            [sys.executable, "-m", "weavefn.cli.main", *args, "--cluster", setting],
            env=_env(ROOT),
            check=True,
            capture_output=True,
        )
    return str(where)


@dataclass(frozen=True)
class Subject:
    name: str
    code: str
    """Python source the subject process runs (``python -c``)."""
    target_ms: float | None = None
    """What the subject may cost: over its floor, or in all when ``absolute``."""
    absolute: bool = False


SUBJECTS = (
    Subject("import functions.aws.handlers", "import functions.aws.handlers", 50.0),
    Subject("import functions.gcp.main", "import functions.gcp.main", 50.0),
    Subject("import functions.azure.function_app", "import functions.azure.function_app", 50.0),
    Subject("weavefn --help", CLI.format(args=["--help"]), 80.0, absolute=True),
    Subject(
        "weavefn validate -f production-aws.yaml",
        CLI.format(args=["validate", "-f", str(EXAMPLE)]),
        50.0,
    ),
)


@dataclass(frozen=True)
class Figures:
    subject: str
    tree: str
    median_ms: float
    """The subject's whole process."""
    floor_ms: float
    """The floor's whole process."""
    own_ms: float
    """The subject alone, in a process that has loaded its floor first."""
    bare_ms: float
    """``python -c pass``."""
    modules: int
    """Modules in the floor (third-party and standard library)."""

    @property
    def ratio(self) -> float:
        return self.median_ms / self.floor_ms if self.floor_ms else float("nan")


def _env(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEAVEFN_")}
    env["PYTHONPATH"] = f"{tree}{os.pathsep}{tree / 'core'}"
    for name in ("PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    return env


def compile_tree(tree: Path) -> None:
    """Byte-compile our code as an install does, so no run pays for compiling source."""
    for part in ("core", "functions"):
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(tree / part)],
            env=_env(tree),
            check=True,
            stdout=subprocess.DEVNULL,
        )


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _run(code: str, *, env: dict[str, str], cwd: str) -> float:
    """CPU milliseconds (user + system) of one process running ``code``."""
    before = _cpu()
    subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return (_cpu() - before) * 1000


_TIMED = """
import sys as _sys, time as _time
{floor}
_started = _time.process_time()
_out = _sys.stdout
_sys.stdout = open(__import__("os").devnull, "w")
{subject}
_sys.stdout = _out
print((_time.process_time() - _started) * 1000)
"""


def _own(subject: str, floor: str, *, env: dict[str, str], cwd: str) -> float:
    """Milliseconds the subject takes in a process whose floor is already loaded."""
    done = subprocess.run(
        [sys.executable, "-c", _TIMED.format(floor=floor, subject=subject)],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


_PROBE = """
import json, sys
loader = sys.modules.get("pydantic.plugin._loader")
plugins = loader is not None and getattr(loader, "_plugins", None) is not None
print(json.dumps({"modules": list(sys.modules), "plugins": plugins}))
"""


@dataclass(frozen=True)
class Loaded:
    modules: list[str]
    """Every module the subject's process holds at its end, in the order they were loaded."""
    plugin_discovery: bool
    """Whether pydantic looked for plugins (it does before building its first validator)."""


def loaded_modules(code: str, *, env: dict[str, str], cwd: str) -> Loaded:
    done = subprocess.run(
        [sys.executable, "-c", code + _PROBE],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    # the subject may print (--help): the probe's line is the last one
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return Loaded(found["modules"], found["plugins"])


def floor_code(loaded: Loaded) -> str:
    """Import every module that is not ours, in the subject's order, ignoring the unimportable.

    When the subject made pydantic look for plugins (it scans every installed distribution's
    entry points before its first validator), the floor does that too: it is pydantic's own
    start-up, whoever triggers it.
    """
    theirs = [
        m
        for m in loaded.modules
        if m.split(".")[0] not in OWN and m not in _NOT_IMPORTABLE and not m.startswith("_frozen")
    ]
    code = (
        "import importlib\n"
        f"for name in {theirs!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        pass\n"
    )
    if loaded.plugin_discovery:
        code += "from pydantic.plugin._loader import get_plugins\nget_plugins()\n"
    return code


def measure(trees: dict[str, Path], subjects: Sequence[Subject], *, runs: int) -> list[Figures]:
    """Subject and floor of every tree, in alternation, ``runs`` rounds; medians per pair."""
    cwd = tempfile.mkdtemp(prefix="weavefn-startup-")
    plans = []
    for tree_name, tree in trees.items():
        compile_tree(tree)
        env = _env(tree)
        for subject in subjects:
            loaded = loaded_modules(subject.code, env=env, cwd=cwd)
            plans.append((tree_name, subject, env, floor_code(loaded), len(loaded.modules)))
    samples: dict[tuple[str, str], tuple[list[float], ...]] = {}
    for _ in range(runs):
        bare = _run("pass", env=plans[0][2], cwd=cwd)
        for tree_name, subject, env, floor, _count in plans:
            whole, base, own, nothing = samples.setdefault(
                (tree_name, subject.name), ([], [], [], [])
            )
            base.append(_run(floor, env=env, cwd=cwd))
            whole.append(_run(subject.code, env=env, cwd=cwd))
            own.append(_own(subject.code, floor, env=env, cwd=cwd))
            nothing.append(bare)
    figures = []
    for tree_name, subject, _, _, count in plans:
        whole, base, own, nothing = samples[(tree_name, subject.name)]
        figures.append(
            Figures(
                subject=subject.name,
                tree=tree_name,
                median_ms=statistics.median(whole),
                floor_ms=statistics.median(base),
                own_ms=statistics.median(own),
                bare_ms=statistics.median(nothing),
                modules=count,
            )
        )
    return figures


def table(figures: Sequence[Figures]) -> str:
    lines = [
        "| subject | tree | process | floor process | ratio | own, floor loaded | target "
        "| python -c pass |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    targets = {s.name: s for s in SUBJECTS}
    for f in figures:
        subject = targets.get(f.subject)
        target = ""
        if subject is not None and subject.target_ms is not None:
            measured = f.median_ms if subject.absolute else f.own_ms
            met = "met" if measured <= subject.target_ms else "missed"
            kind = "process" if subject.absolute else "own"
            target = f"{kind} <= {subject.target_ms:.0f} ms: {met}"
        lines.append(
            f"| {f.subject} | {f.tree} | {f.median_ms:.0f} ms | {f.floor_ms:.0f} ms "
            f"| {f.ratio:.2f}x | {f.own_ms:.0f} ms | {target} | {f.bare_ms:.0f} ms |"
        )
    return "\n".join(lines)


def cold_alarm() -> Subject:
    """The end-to-end cold start (report only: the run includes a reconcile)."""
    code = COLD_ALARM.format(
        pristine=pristine_cluster(), event=str(ROOT / "events/aws/cloudwatch-alarm-sns.json")
    )
    return Subject("cold start: import + first alarm (aws, local cluster)", code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--baseline", type=Path, help="another checkout's root, measured too")
    args = parser.parse_args(argv)
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    print(table(measure(trees, [*SUBJECTS, cold_alarm()], runs=args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
