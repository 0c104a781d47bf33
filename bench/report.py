"""Documents written from measured results: docs/performance.md and the README's performance section
from bench/results.json and bench/performance.template.md (`make bench`), and the mutation-testing
figures of the README and docs/reliability.md from bench/mutation.json (`make mutate`), and the fuzzing
figures from bench/fuzz.json (`make fuzz`); and the SVG charts under docs/charts/ (bench/charts.py). A
test keeps them in sync. The prose says how and why; every
figure comes from the results."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from bench import charts

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
DOCUMENT = ROOT / "docs" / "performance.md"
README = ROOT / "README.md"
RELIABILITY = ROOT / "docs" / "reliability.md"
MUTATION = ROOT / "bench" / "mutation.json"
FUZZ = ROOT / "bench" / "fuzz.json"
TEMPLATE = ROOT / "bench" / "performance.template.md"
CHARTS = ROOT / "docs" / "charts"


def _machine(results: dict[str, Any]) -> str:
    machine = results["machine"]
    return (f"Machine: {machine['cores']} cores, Python {machine['python']}, {machine['engine']}; "
            f"{machine['runs']} runs, medians.")


def render(results: dict[str, Any]) -> str:
    from bench.suite import table

    return TEMPLATE.read_text().format(
        machine=_machine(results),
        verdicts="\n".join(f"- {name}: **{'met' if ok else 'missed'}**" for name, ok in results["verdicts"].items()),
        figures=table(results))


def readme_section(results: dict[str, Any]) -> str:
    """The README's table: the local run against localstripe, and the verdicts."""
    peers = results["peers"]
    rows = ["| stripe-python clients | `make run` req/s (p50 / p99 ms) | localstripe "
            f"{peers['localstripe_version']} req/s (p50 / p99 ms) | ratio |", "|---|---|---|---|"]
    for clients, row in peers["customers"].items():
        ours, theirs = row["make_run"], row["localstripe"]
        rows.append(f"| {clients} | {ours['requests_per_s']:.1f} ({ours['p50_ms']:.1f} / {ours['p99_ms']:.1f}) | "
                    f"{theirs['requests_per_s']:.1f} ({theirs['p50_ms']:.1f} / {theirs['p99_ms']:.1f}) | "
                    f"{row['ratio']:.2f} |")
    transactions = ", ".join(f"{row['make_run']['requests_per_s']:.1f} req/s with {clients} client(s)"
                             for clients, row in peers["transactions"].items())
    retrieve = peers["retrieve"]
    met = [name for name, ok in results["verdicts"].items() if ok]
    missed = [name for name, ok in results["verdicts"].items() if not ok]
    return "\n".join([
        f"Customer create, retrieve, update and list for {peers['seconds']:.0f} s per run, {peers['rounds']} "
        "interleaved rounds, medians. " + _machine(results), "", *rows, "",
        f"Balance transactions (create, retrieve, list), ours alone: {transactions}. A retrieve through the "
        f"local HTTP server: p50 {retrieve['http_p50_ms']:.2f} ms, {retrieve['ratio']:.2f}x the warm handler's "
        f"{retrieve['handler_p50_ms']:.2f} ms." + _lag(results), "",
        f"Targets met: {len(met)} of {len(results['verdicts'])}"
        + (f" (missed: {', '.join(missed)})." if missed else "."),
        "Every figure, the method and the targets: [docs/performance.md](docs/performance.md)."])


def _lag(results: dict[str, Any]) -> str:
    lag = results.get("webhook_lag")
    return (f" From a commit to its webhook's delivery, through the local run: median {lag['median_ms']:,.0f} ms,"
            f" p99 {lag['p99_ms']:,.0f} ms.") if lag else ""


def mutation_summary(mutation: dict[str, Any]) -> str:
    """One paragraph: the score and what survived."""
    equivalent, unexplained = len(mutation["survivors_equivalent"]), len(mutation["survivors_unexplained"])
    return (f"Mutation testing (`make mutate`, {mutation['tool']}, the domain modules against the unit and "
            f"integration tests): **{mutation['score']:.1%} of {mutation['total']:,} mutants killed**; "
            f"{equivalent} survivors are equivalent, each listed with its reason in "
            f"`bench/equivalent_mutants.json`; {unexplained} unexplained.")


def mutation_table(mutation: dict[str, Any]) -> str:
    rows = ["| module | mutants | killed | survived (equivalent) |", "|---|---|---|---|"]
    for module, counts in mutation["modules"].items():
        equivalent = sum(1 for name in mutation["survivors_equivalent"] if name.startswith(module + ".x"))
        survived = counts.get("survived", 0) + counts.get("no tests", 0)
        rows.append(f"| `{module}` | {sum(counts.values())} | {counts.get('killed', 0) + counts.get('timeout', 0)}"
                    f" | {survived} ({equivalent}) |")
    return "\n".join(rows)


def fuzz_summary(fuzz: dict[str, Any]) -> str:
    """One sentence: how many hostile cases ran, and what failed."""
    return (f"`make fuzz`: {fuzz['cases']:,} hostile requests on every route (seed {fuzz['seed']}, "
            f"{fuzz['seconds']:.0f} s): **{fuzz['server_errors']} server errors, {fuzz['malformed']} malformed "
            "answers**.")


def fill(text: str, section: str, content: str, where: str) -> str:
    """`text` with the generated `section` (between its begin and end markers) replaced by `content`."""
    pattern = re.compile(rf"^([ \t]*)(<!-- {section}:begin[^>]*-->\n).*?^[ \t]*(<!-- {section}:end -->)", re.S | re.M)
    if not pattern.search(text):
        raise ValueError(f"{where} has no {section}:begin/end markers")

    def filled(marks: re.Match[str]) -> str:  # indented as the markers are (inside a list item, say)
        indent = marks.group(1)
        body = "\n".join(indent + line if line else line for line in content.splitlines())
        return indent + marks.group(2) + body + "\n" + indent + marks.group(3)

    return pattern.sub(filled, text)


def readme(results: dict[str, Any], mutation: dict[str, Any], fuzz: dict[str, Any], text: str) -> str:
    text = fill(text, "performance", readme_section(results), "README.md")
    text = fill(text, "fuzz", fuzz_summary(fuzz), "README.md")
    return fill(text, "mutation", mutation_summary(mutation), "README.md")


def reliability(mutation: dict[str, Any], fuzz: dict[str, Any], text: str) -> str:
    text = fill(text, "fuzz", fuzz_summary(fuzz), "docs/reliability.md")
    return fill(text, "mutation", mutation_summary(mutation) + "\n\n" + mutation_table(mutation),
                "docs/reliability.md")


def main() -> int:
    results, mutation = json.loads(RESULTS.read_text()), json.loads(MUTATION.read_text())
    fuzz = json.loads(FUZZ.read_text())
    DOCUMENT.write_text(render(results))
    CHARTS.mkdir(exist_ok=True)
    for name, svg in charts.charts(results).items():
        (CHARTS / name).write_text(svg)
    README.write_text(readme(results, mutation, fuzz, README.read_text()))
    RELIABILITY.write_text(reliability(mutation, fuzz, RELIABILITY.read_text()))
    print(f"wrote {DOCUMENT.relative_to(ROOT)}, and the figures of README.md and docs/reliability.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
