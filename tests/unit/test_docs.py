"""Documents written from data stay in sync with it."""

import json

from bench import report


def test_the_performance_page_is_the_one_the_results_give():
    results = json.loads(report.RESULTS.read_text())
    assert report.DOCUMENT.read_text() == report.render(results), "run `python -m bench.report` (make bench does)"
