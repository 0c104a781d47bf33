"""API Gateway's own answers (no key, denied key, unknown route, too large, throttled, failures),
rendered from template.yaml's GatewayResponses the way API Gateway renders them.

A gateway response template is not Velocity: API Gateway only substitutes `$context.…` and
`$stageVariables.…` (AWS: "simple variable substitution … not processed by the Velocity Template
Language engine"), so no directive runs and no `##` comment is dropped. `$context.error.messageString`
is the message already quoted as a JSON string; `$context.authorizer.<key>` is the authorizer's value as
plain text, unescaped. A type the template does not customise falls back to DEFAULT_4XX or DEFAULT_5XX
and then to API Gateway's own default, `{"message":$context.error.messageString}`. Header mappings take
a 'static' value, `context.…`, `stageVariables.…` or `method.request.{header,path,querystring}.…`, one
of them alone (no concatenation); a request parameter the request lacks leaves the header out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tools import template

# API Gateway's default status and $context.error.message of each response type it can send.
DEFAULTS: dict[str, tuple[int, str | None]] = {
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": (403, "User is not authorized to access this resource with an explicit deny"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, None),
    "AUTHORIZER_FAILURE": (500, "Internal server error"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "THROTTLED": (429, "Too Many Requests"),
    "QUOTA_EXCEEDED": (429, "Limit Exceeded"),
    "INVALID_API_KEY": (403, "Forbidden"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "INTEGRATION_FAILURE": (502, "Internal server error"),
    "DEFAULT_5XX": (502, "Internal server error"),
}
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
_REQUEST_HEADER = "method.request.header."
_VARIABLE = re.compile(r"\$(context|stageVariables)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


@dataclass
class Request:
    """What API Gateway knows of the request when it answers it itself."""

    method: str
    path: str  # without the stage
    request_id: str
    stage: str
    source_ip: str = "127.0.0.1"
    resource_path: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    path_parameters: dict[str, str] = field(default_factory=dict)
    authorizer: dict[str, Any] = field(default_factory=dict)
    api_key: str | None = None  # the usage plan key the authorizer named ($context.identity.apiKey)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def _customised() -> dict[str, Any]:
    (api,) = template.resources("AWS::Serverless::Api").values()
    return api["Properties"].get("GatewayResponses") or {}


def answer(response_type: str, request: Request) -> Answer:
    status, message = DEFAULTS[response_type]
    family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
    responses = _customised()
    spec = responses.get(response_type) or responses.get(family) or {}
    status = int(spec.get("StatusCode") or (responses.get(family) or {}).get("StatusCode") or status)
    context = _context(request, response_type, message)
    body = _substitute((spec.get("ResponseTemplates") or {}).get("application/json", DEFAULT_TEMPLATE), context)
    headers = {"Content-Type": "application/json"}
    for name, source in ((spec.get("ResponseParameters") or {}).get("Headers") or {}).items():
        value = _header_value(source, request, context)
        if value is not None:
            headers[name] = value
    return Answer(status, headers, body)


def _context(request: Request, response_type: str, message: str | None) -> dict[str, Any]:
    return {
        "requestId": request.request_id, "extendedRequestId": request.request_id, "httpMethod": request.method,
        "path": f"/{request.stage}{request.path}", "resourcePath": request.resource_path or "",
        "stage": request.stage, "identity": {"sourceIp": request.source_ip, "apiKey": request.api_key or ""},
        "authorizer": {k: _text(v) for k, v in request.authorizer.items()},
        "error": {"message": message if message is not None else "", "messageString": json.dumps(message),
                  "responseType": response_type, "validationErrorString": ""},
    }


def _text(value: Any) -> str:
    """An authorizer context value as API Gateway stringifies it."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _lookup(names: list[str], root: dict[str, Any]) -> str:
    node: Any = root
    for name in names:
        node = node.get(name) if isinstance(node, dict) else None
    return node if isinstance(node, str) else ""  # an unset variable renders empty


def _substitute(text: str, context: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        return _lookup(match.group(2).split(".")[1:], context) if match.group(1) == "context" else ""

    return _VARIABLE.sub(value, text)


def _header_value(source: str, request: Request, context: dict[str, Any]) -> str | None:
    """The value a header mapping gives, or None when it maps a request parameter the request lacks
    (API Gateway then leaves the header out)."""
    if source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if source.startswith("context."):
        return _lookup(source.split(".")[1:], context)
    if source.startswith(_REQUEST_HEADER):
        # Header names are case-insensitive; the request's are kept in lower case.
        return request.headers.get(source[len(_REQUEST_HEADER):].lower())
    for prefix, values in (("method.request.querystring.", request.query),
                           ("method.request.path.", request.path_parameters)):
        if source.startswith(prefix):
            return values.get(source[len(prefix):])
    raise ValueError(f"unsupported gateway response header mapping {source!r}")
