"""docs/performance.md, written from bench/results.json and bench/performance.template.md (`make bench`
writes both; a test keeps the page in sync). The prose says how and why; every figure comes from the
results."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
DOCUMENT = ROOT / "docs" / "performance.md"

TEMPLATE = ROOT / "bench" / "performance.template.md"


def render(results: dict[str, Any]) -> str:
    from bench.suite import table

    machine = results["machine"]
    return TEMPLATE.read_text().format(
        machine=f"Machine: {machine['cores']} cores, Python {machine['python']}, {machine['engine']}; "
                f"{machine['runs']} runs, medians.",
        verdicts="\n".join(f"- {name}: **{'met' if ok else 'missed'}**" for name, ok in results["verdicts"].items()),
        figures=table(results))


def main() -> int:
    DOCUMENT.write_text(render(json.loads(RESULTS.read_text())))
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
