"""Metadata as a client may send it in a JSON body (where keys and values can be anything JSON allows):
each refusal is Stripe's exact error, naming the parameter, and changes nothing."""

import json
from typing import Any

import pytest

from tests.support.api import Api

pytestmark = pytest.mark.usefixtures("moto_table")

NOT_A_HASH = "Invalid metadata: must be a hash of string keys and values"
BAD_KEY = "Metadata keys must be 1 to 40 characters without square brackets"


def _post_json(api: Api, path: str, body: dict[str, Any]) -> Any:
    return api.post(path, raw_body=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(("metadata", "message", "param"), [
    (5, NOT_A_HASH, "metadata"),
    (["a"], NOT_A_HASH, "metadata"),
    ({f"k{i}": "v" for i in range(51)}, "You can have at most 50 keys in metadata.", "metadata"),
    ({"a[b": "v"}, BAD_KEY, "metadata[a[b]"),
    ({"a]b": "v"}, BAD_KEY, "metadata[a]b]"),
    ({"k" * 41: "v"}, BAD_KEY, f"metadata[{'k' * 41}]"),
    ({"k": 5}, "Invalid metadata value for k: must be a string", "metadata[k]"),
    ({"k": {"nested": "x"}}, "Invalid metadata value for k: must be a string", "metadata[k]"),
    ({"k": "nul\u0000"}, "Invalid metadata value for k: must be a string", "metadata[k]"),
])
@pytest.mark.parametrize("target", ["customer", "transaction"])
def test_metadata_that_is_not_string_pairs_is_refused_by_name(api_on_moto: Api, metadata: Any, message: str,
                                                               param: str, target: str) -> None:
    customer = api_on_moto.customer(balance=5)["id"]
    path, body = {"customer": (f"/v1/customers/{customer}", {"metadata": metadata}),
                  "transaction": (f"/v1/customers/{customer}/balance_transactions",
                                  {"amount": 1, "currency": "usd", "metadata": metadata})}[target]
    reply = _post_json(api_on_moto, path, body)
    assert (reply.status, reply.error) == (400, {"type": "invalid_request_error", "message": message, "param": param})
    stored = api_on_moto.get(f"/v1/customers/{customer}").body
    assert (stored["balance"], stored["metadata"]) == (5, {})


def test_a_key_of_one_to_forty_characters_is_kept(api_on_moto: Api) -> None:
    customer = api_on_moto.customer()["id"]
    reply = _post_json(api_on_moto, f"/v1/customers/{customer}", {"metadata": {"k": "v", "k" * 40: "w"}})
    assert reply.status == 200 and reply.body["metadata"] == {"k": "v", "k" * 40: "w"}
