"""`make mutate`: mutation testing of the domain modules with mutmut, and its score.

mutmut names modules by their path from where it runs, so it runs in a staging folder
(`.local/mutation/`) where the layer's package sits at the top (`ledger/`) beside links to the tests
and the tooling they use. One DynamoDB Local serves every mutant's tests (TEST_DYNAMODB_ENDPOINT). The
modules and the tests are `[tool.mutmut]` in pyproject.toml. Writes bench/mutation.json: the counts, the
score (killed / mutants that ran), and every survivor with the reason it is kept when it is listed in
bench/equivalent_mutants.json (an equivalent mutant: no test can tell it from the original).

  python -m tools.mutate [--max-children N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib

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


def run(max_children: int) -> None:
    port = dynamodb_local.free_port()
    engine = dynamodb_local.start(port)
    env = {**os.environ, "TEST_DYNAMODB_ENDPOINT": f"http://127.0.0.1:{port}"}
    try:
        subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)], cwd=STAGE,
                       env=env, check=False)
    finally:
        dynamodb_local.stop(engine)


def survivors() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=STAGE, capture_output=True, text=True)
    return sorted(line.split(":")[0].strip() for line in out.stdout.splitlines() if line.strip().endswith("survived"))


def score() -> dict[str, object]:
    subprocess.run([sys.executable, "-m", "mutmut", "export-cicd-stats"], cwd=STAGE, check=True,
                   capture_output=True)
    stats = json.loads((STAGE / "mutants" / "mutmut-cicd-stats.json").read_text())
    equivalent = json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    survived = survivors()
    ran = stats["killed"] + stats["survived"] + stats.get("timeout", 0) + stats.get("suspicious", 0)
    return {
        "counts": stats, "score": round((stats["killed"] + stats.get("timeout", 0)) / ran, 4) if ran else None,
        "survivors_equivalent": {name: equivalent[name] for name in survived if name in equivalent},
        "survivors_unexplained": [name for name in survived if name not in equivalent],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mutate", description=__doc__.split("\n")[0])
    parser.add_argument("--max-children", type=int, default=2)
    args = parser.parse_args(argv)
    stage()
    run(args.max_children)
    result = score()
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    for name in result["survivors_unexplained"]:  # type: ignore[attr-defined]
        print(f"survived: {name}")
    counts = result["counts"]
    print(f"mutate: mutants={counts['total']} killed={counts['killed']} survived={counts['survived']} "  # type: ignore[index]
          f"score={result['score']} unexplained={len(result['survivors_unexplained'])}")  # type: ignore[arg-type]
    return 1 if result["survivors_unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
