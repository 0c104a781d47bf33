"""Stripe's wire format: bracket-nested form fields (`metadata[k]=v`, `expand[]=x`, `created[gte]=1`)
from the query string and a form-encoded or JSON body, merged into one dict of parameters."""

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from ledger.errors import StripeError, invalid

MAX_BODY_BYTES = 1_000_000
MAX_FIELDS = 1_000
MAX_DEPTH = 5
_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def parameters(event: dict[str, Any]) -> dict[str, Any]:
    """All parameters of a request: query string first, then the body. At most MAX_FIELDS fields in
    all, however they are sent."""
    params: dict[str, Any] = {}
    query = [(k, v) for k, values in (event.get("multiValueQueryStringParameters") or {}).items()
             for v in values or []]
    if len(query) > MAX_FIELDS:
        raise _too_many()
    for key, value in query:
        _insert(params, key, value)
    body = _body_text(event)
    if body.strip():
        if _content_type(event).startswith("application/json"):
            _merge_json(params, body, MAX_FIELDS - len(query))
        else:
            for key, value in _pairs(body, MAX_FIELDS - len(query)):
                _insert(params, key, value)
    return params


def _too_many() -> StripeError:
    return invalid(f"Too many parameters: at most {MAX_FIELDS} are accepted.")


def _body_text(event: dict[str, Any]) -> str:
    raw = event.get("body") or ""
    try:
        data = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode()
        if len(data) > MAX_BODY_BYTES:
            raise StripeError(413, f"Request bodies are limited to {MAX_BODY_BYTES} bytes.")
        return data.decode("utf-8")
    except (binascii.Error, UnicodeError):
        raise invalid("The request body could not be decoded: it must be UTF-8 form data or JSON.") from None


def _content_type(event: dict[str, Any]) -> str:
    headers = event.get("headers") or {}
    return next((v for k, v in headers.items() if k.lower() == "content-type"), "").lower()


def _pairs(body: str, fields_max: int) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body, keep_blank_values=True, errors="strict", max_num_fields=max(fields_max, 0))
    except UnicodeError:
        raise invalid("The request body could not be decoded: percent-escapes must encode UTF-8.") from None
    except ValueError:
        raise _too_many() from None


class _Repeated(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all distinct: a repeated key is refused, as in a form, never
    silently last-wins."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        raise _Repeated(next(k for k, _ in pairs if k in seen or seen.add(k)))  # type: ignore[func-returns-value]
    return document


def _merge_json(params: dict[str, Any], body: str, fields_max: int) -> None:
    try:
        document = json.loads(body, object_pairs_hook=_object)
    except _Repeated as repeated:
        raise invalid(f"Received the parameter {repeated.key} more than once.", param=repeated.key) from None
    except (ValueError, RecursionError):
        raise invalid("Invalid JSON received in the request body.") from None
    if not isinstance(document, dict):
        raise invalid("The JSON request body must be an object.")
    _check_document(document, fields_max)
    for key, value in document.items():
        if key in params:
            raise invalid(f"Received the parameter {key} more than once.", param=key)
        params[key] = value


def _check_document(document: dict[str, Any], fields_max: int) -> None:
    """A JSON body as bounded as a form: nested at most MAX_DEPTH levels, at most `fields_max` values,
    and only valid Unicode (a `\\ud800` escape decodes to a lone surrogate, which no text may hold)."""
    pending: list[tuple[Any, int, str]] = [(document, 0, "")]
    values = 0
    while pending:
        node, depth, top = pending.pop()
        if depth > MAX_DEPTH:
            raise invalid(f"Parameters can be nested at most {MAX_DEPTH - 1} levels deep.", param=top or None)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else None
        if items is None:
            values += 1
            if values > fields_max:
                raise _too_many()
            if isinstance(node, str) and not _unicode(node):
                raise invalid(f"Invalid string for {top}: it is not valid Unicode.", param=top)
            continue
        for key, child in items:
            if isinstance(key, str) and not _unicode(key):  # named as sent, escaped (errors.StripeError)
                raise invalid("Invalid parameter name: it is not valid Unicode.", param=top or key)
            pending.append((child, depth + 1, top or str(key)))


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _insert(params: dict[str, Any], key: str, value: str) -> None:
    """Place `a[b][]=v` at params["a"]["b"] (appended); a key we cannot parse is kept whole, so it is
    refused as an unknown parameter."""
    match = _KEY.fullmatch(key)
    path = [key] if not match else [match.group(1), *_SEGMENT.findall(match.group(2))]
    if len(path) > MAX_DEPTH:
        raise invalid(f"Parameters can be nested at most {MAX_DEPTH - 1} levels deep.", param=path[0])
    node: Any = params
    for depth, segment in enumerate(path):
        name = _name(path[: depth + 1])
        last = depth == len(path) - 1
        if isinstance(node, list):
            if segment != "" or not last:
                raise invalid(f"Invalid array parameter: {name}", param=name)
            node.append(value)
            return
        if segment == "" and depth > 0:
            raise invalid(f"Invalid array parameter: {name}", param=name)
        nxt = path[depth + 1] if not last else None
        if last:
            # A repeated key becomes a list (expand=a&expand=b); for a scalar parameter the list is then
            # refused by its validation, so `amount=1&amount=2` is never silently one of the two.
            previous = node.get(segment)
            if isinstance(previous, dict):
                raise invalid(f"Invalid value for {name}: mixed shapes.", param=path[0])
            node[segment] = value if previous is None else [*_as_list(previous), value]
            return
        child = node.setdefault(segment, [] if nxt == "" else {})
        if not isinstance(child, list | dict) or (nxt == "") != isinstance(child, list):
            raise invalid(f"Invalid value for {_name(path[: depth + 1])}: mixed shapes.", param=path[0])
        node = child


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _name(path: list[str]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:])
