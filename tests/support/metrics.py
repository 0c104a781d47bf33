"""The EMF documents the handlers print on stdout (Powertools metrics), read back in tests."""

import json


def printed_metrics(out: str) -> dict[str, list[tuple[float, str, dict[str, str]]]]:
    """(value, unit, dimensions) of each metric printed, by name."""
    found: dict[str, list[tuple[float, str, dict[str, str]]]] = {}
    for line in out.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            dimensions = {name: document[name] for group in directive["Dimensions"] for name in group}
            for metric in directive["Metrics"]:
                values = document[metric["Name"]]
                found.setdefault(metric["Name"], []).extend(
                    (value, metric["Unit"], dimensions) for value in (values if isinstance(values, list) else [values])
                )
    return found
