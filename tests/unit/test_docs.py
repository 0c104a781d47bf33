"""Documents written from data stay in sync with it."""

import json

from bench import report


def test_the_performance_page_is_the_one_the_results_give():
    results = json.loads(report.RESULTS.read_text())
    assert report.DOCUMENT.read_text() == report.render(results), "run `python -m bench.report` (make bench does)"


def test_the_figures_of_the_readme_and_the_reliability_page_are_the_ones_the_results_give():
    results = json.loads(report.RESULTS.read_text())
    mutation = json.loads(report.MUTATION.read_text())
    fuzz = json.loads(report.FUZZ.read_text())
    readme = report.README.read_text()
    assert report.readme(results, mutation, fuzz, readme) == readme, "run `python -m bench.report`"
    reliability = report.RELIABILITY.read_text()
    assert report.reliability(mutation, fuzz, reliability) == reliability, "run `python -m bench.report`"


def test_the_charts_are_the_ones_the_results_give():
    from bench import charts

    results = json.loads(report.RESULTS.read_text())
    for name, svg in charts.charts(results).items():
        assert (report.CHARTS / name).read_text() == svg, "run `python -m bench.report` (make bench does)"
    assert "charts/contention.svg" in report.DOCUMENT.read_text()
