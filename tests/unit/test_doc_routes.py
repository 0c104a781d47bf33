"""The route tables of the README and the design page restate template.yaml's routes: every route has
its row (`METHOD /path`), none is extra or listed twice, and where a table names the function serving a
route, it is the template's."""

import re
from pathlib import Path

import pytest

from tools import template

DOCUMENTS = [template.ROOT / "README.md", template.ROOT / "docs" / "design.md"]
HEADER = re.compile(r"^\|\s*operation\s*\|")
OPERATION = re.compile(r"^`(?P<method>[A-Z]+) (?P<path>/\S*)`$")


def route_table(document: Path) -> tuple[list[str], list[list[str]]]:
    """The column names and the rows (cells, stripped) of the document's one table headed `| operation |`."""
    lines = document.read_text().splitlines()
    headers = [n for n, line in enumerate(lines) if HEADER.match(line)]
    assert len(headers) == 1, f"{document.name}: {len(headers)} tables headed `| operation |`, not one"

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip().strip("|").split("|")]

    rows = []
    for line in lines[headers[0] + 2:]:  # past the header and its |---| line
        if not line.startswith("|"):
            break
        rows.append(cells(line))
    return cells(lines[headers[0]]), rows


def routes_of(document: Path) -> list[tuple[str, str]]:
    _, rows = route_table(document)
    found = []
    for row in rows:
        operation = OPERATION.match(row[0])
        assert operation, f"{document.name}: a row of the route table does not start with `METHOD /path`: {row}"
        found.append((operation["method"], operation["path"]))
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_the_route_table_lists_the_template_s_routes(document):
    listed = routes_of(document)
    assert len(listed) == len(set(listed)), f"{document.name}: a route is listed twice"
    assert sorted(listed) == sorted((r.method, r.path) for r in template.routes())


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_the_function_a_table_names_serves_the_route(document):
    columns, rows = route_table(document)
    if "function" not in columns:
        pytest.skip(f"{document.name}'s route table names no function")
    serving = {(r.method, r.path): r.function for r in template.routes()}
    named = {route: row[columns.index("function")] for route, row in zip(routes_of(document), rows, strict=True)}
    assert named == {route: serving.get(route) for route in named}
