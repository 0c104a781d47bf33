"""`make mutate`: mutation testing of the domain modules with mutmut, and its score.

mutmut names modules by their path from where it runs, so it runs in a staging folder
(`.local/mutation/`) where the layer's package sits at the top (`ledger/`) beside links to the tests
and the tooling they use. One DynamoDB Local serves every mutant's tests (TEST_DYNAMODB_ENDPOINT). The
modules and the tests are `[tool.mutmut]` in pyproject.toml. Writes bench/mutation.json (and the figures
the documents take from it, bench/report.py): the counts, the
score (killed or timed out / mutants that ran), counts per module, and every survivor (a mutant no test
reaches counts as a survivor) with the reason it is kept when it is listed in
bench/equivalent_mutants.json (an equivalent mutant: no test can tell it from the original).

  python -m tools.mutate [--max-children N] [--score-only] [--record reasons.json] [--again names.txt]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from tools import dynamodb_local, template

ROOT = template.ROOT
STAGE = ROOT / ".local" / "mutation"
RESULTS = ROOT / "bench" / "mutation.json"
EQUIVALENT = ROOT / "bench" / "equivalent_mutants.json"
LINKED = ("tests", "tools", "functions", "events", "bench", "template.yaml", "openapi.json")


def stage() -> None:
    """The staging folder: the layer's package copied to the top, the rest linked."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mutmut = dict(settings["tool"]["mutmut"])
    layer = ROOT / "layers" / "ledger"
    shutil.rmtree(STAGE, ignore_errors=True)
    STAGE.mkdir(parents=True)
    shutil.copytree(layer / "ledger", STAGE / "ledger", ignore=shutil.ignore_patterns("__pycache__"))
    for name in LINKED:
        (STAGE / name).symlink_to(ROOT / name)
    (STAGE / ".local").mkdir()
    (STAGE / ".local" / "transformed").symlink_to(ROOT / ".local" / "transformed")
    relative = str(layer.relative_to(ROOT)) + "/"
    mutmut["source_paths"] = ["ledger"]
    mutmut["only_mutate"] = [p.removeprefix(relative) for p in mutmut["only_mutate"]]
    mutmut["also_copy"] = [*LINKED, ".local/transformed/"]
    pytest = dict(settings["tool"]["pytest"]["ini_options"], pythonpath=["."])
    lines = ["[tool.pytest.ini_options]"] + [f"{k} = {json.dumps(v)}" for k, v in pytest.items()]
    lines += ["", "[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in mutmut.items()]
    (STAGE / "pyproject.toml").write_text("\n".join(lines) + "\n")


def run(max_children: int, names: list[str] | None = None) -> None:
    """Every mutant, or only `names` again (after tests were added: mutmut runs the new tests too)."""
    port = dynamodb_local.free_port()
    engine = dynamodb_local.start(port)
    env = {**os.environ, "TEST_DYNAMODB_ENDPOINT": f"http://127.0.0.1:{port}"}
    try:
        subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *(names or [])],
                       cwd=STAGE, env=env, check=False)
    finally:
        dynamodb_local.stop(engine)


def statuses() -> dict[str, str]:
    """Every mutant's status (killed, survived, timeout, no tests, …) by name."""
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=STAGE,
                         capture_output=True, text=True, check=True)
    pairs = (line.rsplit(":", 1) for line in out.stdout.splitlines() if ":" in line)
    return {name.strip(): status.strip() for name, status in pairs}


def module_of(mutant: str) -> str:
    """ledger.scheduled_adjustments.apply.x_emit__mutmut_4 -> ledger.scheduled_adjustments.apply"""
    return ".".join(part for part in mutant.split(".") if not part.startswith("x"))


KILLED = ("killed", "timeout")  # a mutant that makes the tests hang is caught too


def change_of(mutant: str) -> list[str]:
    """The mutant's edit: its removed and added lines, stripped (what `mutmut show` prints)."""
    shown = subprocess.run([sys.executable, "-m", "mutmut", "show", mutant], cwd=STAGE, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    return [line[0] + line[1:].strip() for line in shown
            if line[:1] in "+-" and not line.startswith(("---", "+++"))]


def function_of(mutant: str) -> str:
    return mutant.rsplit("__mutmut_", 1)[0]


def equivalents() -> list[dict[str, Any]]:
    """bench/equivalent_mutants.json: each equivalent mutant by its function and its edit (mutmut's
    numbers change whenever a function does), with the reason no test can tell it from the original."""
    return json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else []


def reason_for(mutant: str, known: list[dict[str, Any]]) -> str | None:
    candidates = [entry for entry in known if entry["function"] == function_of(mutant)]
    if not candidates:
        return None
    change = change_of(mutant)
    return next((entry["reason"] for entry in candidates if entry["change"] == change), None)


def record(reasons: dict[str, str]) -> None:
    """Add mutants of the last run, by name, to bench/equivalent_mutants.json with their reasons."""
    known = equivalents()
    for mutant, reason in reasons.items():
        entry = {"function": function_of(mutant), "change": change_of(mutant), "reason": reason}
        if entry not in known:
            known.append(entry)
    known.sort(key=lambda entry: (entry["function"], entry["change"]))
    EQUIVALENT.write_text(json.dumps(known, indent=1, ensure_ascii=False) + "\n")


def score() -> dict[str, object]:
    found = statuses()
    known = equivalents()
    survived = sorted(name for name, status in found.items() if status in ("survived", "no tests"))
    explained = {name: reason for name in survived if (reason := reason_for(name, known))}
    ran = [status for status in found.values() if status in (*KILLED, "survived", "suspicious", "no tests")]
    modules: dict[str, dict[str, int]] = {}
    for name, status in found.items():
        counts = modules.setdefault(module_of(name), {})
        counts[status] = counts.get(status, 0) + 1
    killed = sum(1 for status in ran if status in KILLED)
    return {
        "tool": f"mutmut {_version()}",
        "counts": {status: sum(1 for s in found.values() if s == status) for status in sorted(set(found.values()))},
        "total": len(found),
        "score": round(killed / len(ran), 4) if ran else None,
        "modules": dict(sorted(modules.items())),
        "survivors_equivalent": explained,
        "survivors_unexplained": [name for name in survived if name not in explained],
    }


def _version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mutate", description=__doc__.split("\n")[0])
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--score-only", action="store_true",
                        help="score the last run again (after editing bench/equivalent_mutants.json)")
    parser.add_argument("--record", metavar="JSON",
                        help="a file of {mutant of the last run: reason it is equivalent} to add to the list")
    parser.add_argument("--again", metavar="NAMES",
                        help="a file of mutant names of the last run to run again (with the tests added since)")
    args = parser.parse_args(argv)
    if args.record:
        record(json.loads(Path(args.record).read_text()))
        return 0
    if args.again:
        run(args.max_children, Path(args.again).read_text().split())
    elif not args.score_only:
        stage()
        run(args.max_children)
    result = score()
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    from bench import report

    report.main()  # the README's and docs/reliability.md's figures
    for name in result["survivors_unexplained"]:  # type: ignore[attr-defined]
        print(f"survived: {name}")
    print(f"mutate: mutants={result['total']} {result['counts']} score={result['score']} "
          f"unexplained={len(result['survivors_unexplained'])}")  # type: ignore[arg-type]
    return 1 if result["survivors_unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
