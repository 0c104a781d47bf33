"""The API in process: werkzeug's test client drives tools.local_api (routes from template.yaml,
API Gateway events, the real handlers), so tests exercise the same path as `make run`."""

import json
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode

from werkzeug.test import Client

from tools.lambda_local import form_fields
from tools.local_api import DEFAULT_KEY, LocalApi

TEST_KEY = DEFAULT_KEY
LIVE_KEY = "sk_live_" + "51HqLyjWDarjtT1zdp7dcLiveModeKey0000"


@cache
def _app() -> LocalApi:
    # The table each test's fixture points TABLE_NAME at; no rate limits and no authorizer cache (each
    # test has its own table and keys; tests/unit/test_rate_limits.py and test_authorizer_cache.py test
    # them with a frozen clock).
    return LocalApi(table_name=None, rate_limits=False, authorizer_cache=False)


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def error(self) -> dict[str, Any]:
        return self.body["error"]


def form(params: dict[str, Any] | list[tuple[str, str]]) -> str:
    """Stripe's bracket encoding of nested parameters."""
    return urlencode(form_fields(params))


class Api:
    """Requests authenticate with `key` (Bearer) unless a test passes its own Authorization header."""

    def __init__(self, key: str | None = TEST_KEY) -> None:
        self.client = Client(_app())
        self.key = key

    def request(self, method: str, path: str, params: Any = None, *, raw_body: bytes | str | None = None,
                headers: dict[str, str] | None = None, content_type: str | None = None) -> Reply:
        query, data = "", None
        if params is not None and method in ("GET", "DELETE"):
            query = form(params)
        elif params is not None:
            data = form(params)
        if raw_body is not None:
            data = raw_body
        sent = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        sent.update(headers or {})
        response = self.client.open(
            path, method=method, query_string=query, data=data, headers=sent,
            content_type=content_type or "application/x-www-form-urlencoded")
        return Reply(response.status_code, json.loads(response.get_data(as_text=True)), dict(response.headers))

    def get(self, path: str, params: Any = None, **kw: Any) -> Reply:
        return self.request("GET", path, params, **kw)

    def post(self, path: str, params: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, params, **kw)

    def delete(self, path: str, params: Any = None, **kw: Any) -> Reply:
        return self.request("DELETE", path, params, **kw)

    def customer(self, **params: Any) -> dict[str, Any]:
        reply = self.post("/v1/customers", params)
        assert reply.status == 200, reply.body
        return reply.body

    def transaction(self, customer_id: str, amount: int, currency: str = "usd", **params: Any) -> dict[str, Any]:
        reply = self.post(f"/v1/customers/{customer_id}/balance_transactions",
                          {"amount": amount, "currency": currency, **params})
        assert reply.status == 200, reply.body
        return reply.body
