"""Schemathesis made hostile: `SCHEMATHESIS_HOOKS=tools.schemathesis_hooks` (tests/e2e/test_schemathesis.py).

In its fuzzing phase, each case Schemathesis builds from openapi.json goes through `flatmap_case`, which
mixes in tools/hostile.py's strategies (the ones `make fuzz` and the Hypothesis tests draw from):

- every case: hostile values in the headers the API reads (Idempotency-Key, Stripe-Version,
  Stripe-Account, User-Agent, and Authorization where the run sends no key), as the UTF-8 bytes an HTTP
  client sends (a server hands them on as latin-1: a four-byte character is four characters there);
- a case with a body, half of those Schemathesis means to be invalid and half of the others: its body
  replaced by raw bytes only hostile input has, always with something the API must refuse (a key
  twice, nesting past the depth limit or thousands deep, a lone surrogate as a `\ud800` escape in JSON
  or `%ED%A0%80` in a form, a number with more digits than Python reads), now and then with a parameter
  in the query string too;
- a case Schemathesis means to be valid, a quarter of them: hostile parameters merged into its body
  (values at, under and over each length limit with four-byte characters, metadata at its limits, huge
  and negative numbers) or its query string, a hostile id in its path, a Content-Type meant for another
  body.

Schemathesis judges each case again after the change, against openapi.json: a case the hostile values
made invalid must be refused (its `negative_data_rejection` check), and a raw body is invalid to it. So
every raw body holds something the API must refuse, no merged value is one the API takes though the
document does not (digits as text for an integer: the API reads them as in a form), and nothing is
merged into a case meant to be invalid, which it could make valid.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import schemathesis
from hypothesis import strategies as st

from tools import hostile, lambda_local, template

# What becomes of a case, beyond its headers: one meant to be valid, one meant to be invalid (which a
# merged value could make valid, a raw body never). Hypothesis starts each operation from the first
# choice of every list, and a short run has few cases: so the first are the most hostile.
PLANS = {True: ["raw", "merge", "as made", "raw"], False: ["raw", "as made"]}
DIGITS = re.compile(r"-?[0-9]+")
_ROUTES = {(r.method, r.path): r for r in template.routes()}


def _on_the_wire(value: str) -> str:
    """A header value as HTTP carries it: no control character, no whitespace at either end (clients
    refuse both), its UTF-8 bytes (a lone surrogate as those of its code point) as the latin-1 text that
    a client writes as those bytes."""
    printable = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in value).strip()
    return printable.encode("utf-8", "surrogatepass").decode("latin-1")


def _configured(case: Any) -> set[str]:
    """The headers the run sets itself (`-H`), which win over a case's: Authorization with a key."""
    try:
        return {name.lower() for name in case.operation.schema.config.headers_for(operation=case.operation)}
    except AttributeError:  # another Schemathesis: assume the run authenticates
        return {hostile.AUTHORIZATION.lower()}


def _text(value: str) -> str:
    """Text that a URL or a form can carry: a lone surrogate becomes U+FFFD (its length stays)."""
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)


def _plain(value: Any) -> Any | None:
    """`value` as JSON that Schemathesis can send and judge, or None: no infinite or NaN float, nothing
    only raw bytes can hold (a repeated key becomes the last; a lone surrogate, which its validator
    cannot read), no digits as text (the API takes them for an integer, as in a form, though the
    document does not)."""
    if isinstance(value, hostile.Members):
        value = dict(value.pairs)
    if isinstance(value, dict | list):
        items = [_plain(v) for v in (value.values() if isinstance(value, dict) else value)]
        if any(item is None for item in items) or any(_text(k) != k for k in value if isinstance(value, dict)):
            return None
        return dict(zip(value, items, strict=True)) if isinstance(value, dict) else items
    if isinstance(value, str):
        return None if DIGITS.fullmatch(value) or _text(value) != value else value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    return value if isinstance(value, int) else None


def _mergeable(value: Any, name: str, route: template.Route, form: bool) -> Any | None:
    """`value` as a body member, or None. In a form, where every value is text, only what the document
    says the member is: text, an integer for an integer, text by name for metadata, a list of text for
    expand."""
    value = _plain(value)
    if not form or value is None:
        return value
    if isinstance(value, dict) and name == "metadata":
        return value if all(isinstance(v, str) for v in value.values()) else None
    if isinstance(value, list) and name == "expand":
        return value if all(isinstance(v, str) for v in value) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value if '"integer"' in json.dumps(_schema(route).get(name)) else None
    return value if isinstance(value, str) else None


def _schema(route: template.Route) -> dict[str, Any]:
    return _properties(route.function)


@cache
def _properties(function: str) -> dict[str, Any]:
    """The JSON Schema of each parameter of `function`'s operation (what openapi.json publishes)."""
    return dict(lambda_local.operation_of(function).params.model_json_schema()["properties"])


def _must_refuse(pairs: list[tuple[str, Any]], kind: str) -> list[tuple[str, Any]]:
    """`pairs` with one more that the API must refuse, whatever else they hold and however it reads the
    body (JSON or form)."""
    if kind == "repeat":  # in a form, a repeated scalar (a repeated list is a longer list)
        scalar = next((pair for pair in pairs if not isinstance(pair[1], list | dict)), ("amount", 1))
        return [*pairs, scalar, scalar] if scalar not in pairs else [*pairs, scalar]
    if kind == "deep":
        return [*pairs, ("metadata", hostile.Deep(max(hostile.DEPTHS)))]
    if kind == "shallow deep":
        return [*pairs, ("metadata", hostile.Deep(hostile.form.MAX_DEPTH + 1))]
    if kind == "surrogate":
        return [*pairs, ("description", "\ud800" + "a" * 3)]
    return [*pairs, ("amount", hostile.Literal(hostile.TOO_MANY_DIGITS))]  # past Python's integers, any amount


RAW_KINDS = ["deep", "repeat", "surrogate", "shallow deep", "digits"]
# Page sizes as text, none too long for Schemathesis to read as an integer itself.
LIMITS = st.sampled_from([n for n in [*hostile.NUMBER_TEXTS, *hostile.JSON_NUMBERS, *map(str, hostile.INTEGERS)]
                          if len(n) < 100])


@st.composite
def _hostile(draw: Any, case: Any) -> Any:
    route = _ROUTES.get((case.method.upper(), case.operation.path))
    positive = case.meta is None or case.meta.generation.mode.is_positive
    headers = draw(hostile.headers(None))
    kept = _configured(case) | (set() if positive else {"content-type"})
    case.headers = {**(case.headers or {}),
                    **{k: _on_the_wire(v) for k, v in headers.items() if k.lower() not in kept}}
    plan = draw(st.sampled_from(PLANS[positive]))
    if route is None or plan == "as made":
        return case
    if positive and case.path_parameters and draw(hostile.chance(30)):
        name = draw(st.sampled_from(sorted(case.path_parameters)))
        case.path_parameters = {**case.path_parameters, name: draw(st.sampled_from(hostile.hostile_ids("cus_")))}
    if not (isinstance(case.body, dict) and case.media_type):
        if positive:  # the query string: hostile text for the parameters with a length limit, page sizes
            names = [n for n in sorted(_schema(route)) if hostile.limit_of(n, route) is not None or n == "limit"]
            if names:
                name = draw(st.sampled_from(names))
                value = draw(hostile.text(hostile.limit_of(name, route)) if name != "limit" else LIMITS)
                case.query = {**(case.query or {}), name: _text(value)}
        return case
    form = "json" not in case.media_type
    if draw(hostile.chance(20)):  # form, JSON and query string mixed: a name unknown there, always refused
        case.query = {**(case.query or {}), f"x{_text(draw(hostile.text()))}": _text(draw(hostile.text()))}
    if positive and draw(hostile.chance(25)):
        case.headers["Content-Type"] = draw(st.sampled_from(hostile.CONTENT_TYPES))
    if plan == "merge":
        body = dict(case.body)
        for name in draw(st.lists(st.sampled_from(sorted(_schema(route))), min_size=1, max_size=3, unique=True)):
            value = _mergeable(draw(hostile.value(name, route)), name, route, form)
            if value is not None:
                body[name] = value
        case.body = body
    else:
        pairs = _must_refuse(list(case.body.items()), draw(st.sampled_from(RAW_KINDS)))
        case.body = hostile.form_body(hostile.form_fields(pairs)) if form else hostile.json_body(pairs)
    return case


@schemathesis.hook
def flatmap_case(context: Any, case: Any) -> Any:
    return _hostile(case)
