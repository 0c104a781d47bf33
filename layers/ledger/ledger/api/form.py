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
    """All parameters of a request: query string first, then the body."""
    params: dict[str, Any] = {}
    for key, values in (event.get("multiValueQueryStringParameters") or {}).items():
        for value in values or []:
            _insert(params, key, value)
    body = _body_text(event)
    if body.strip():
        if _content_type(event).startswith("application/json"):
            _merge_json(params, body)
        else:
            for key, value in _pairs(body):
                _insert(params, key, value)
    return params


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


def _pairs(body: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeError:
        raise invalid("The request body could not be decoded: percent-escapes must encode UTF-8.") from None
    except ValueError:
        raise invalid(f"Too many parameters: at most {MAX_FIELDS} are accepted.") from None


def _merge_json(params: dict[str, Any], body: str) -> None:
    try:
        document = json.loads(body)
    except ValueError:
        raise invalid("Invalid JSON received in the request body.") from None
    if not isinstance(document, dict):
        raise invalid("The JSON request body must be an object.")
    for key, value in document.items():
        if key in params:
            raise invalid(f"Received the parameter {key} more than once.", param=key)
        params[key] = value


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
