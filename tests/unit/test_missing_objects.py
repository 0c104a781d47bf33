"""Every way of naming a customer or a balance transaction that does not exist gets Stripe's answer
naming it: status, code, param and the id in the message, whichever read path the request takes."""

import pytest

from tests.support.api import Api

pytestmark = pytest.mark.usefixtures("moto_table")

MISSING_CUSTOMER = "cus_missingCustomer00"


def _missing(kind: str, object_id: str, param: str, status: int = 404) -> tuple[int, dict[str, str]]:
    return status, {"type": "invalid_request_error", "code": "resource_missing", "param": param,
                    "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
                    "message": f"No such {kind}: '{object_id}'"}


def _other_customers_transaction(api: Api) -> str:
    """A well-formed id of a real transaction, so the lookup reaches the table."""
    other = api.customer()["id"]
    return str(api.transaction(other, 5)["id"])


@pytest.mark.parametrize("query", [
    {},  # one Query reads the customer with the page
    {"created": {"lte": 2_000_000_000}},  # an upper bound: the customer is read first
    {"invoice": "in_1"},
    {"starting_after": "cbtxn_placeholder"},  # a cursor: the customer is read with the cursor
])
def test_listing_a_missing_customers_transactions_names_the_customer(api_on_moto: Api, query: dict) -> None:
    if "starting_after" in query:
        query = {"starting_after": _other_customers_transaction(api_on_moto)}
    reply = api_on_moto.get(f"/v1/customers/{MISSING_CUSTOMER}/balance_transactions", query)
    assert (reply.status, reply.error) == _missing("customer", MISSING_CUSTOMER, "customer")


@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
def test_a_cursor_that_is_not_this_customers_transaction_is_a_400_naming_it(api_on_moto: Api, cursor: str) -> None:
    customer = api_on_moto.customer(balance=5)["id"]
    foreign = _other_customers_transaction(api_on_moto)
    reply = api_on_moto.get(f"/v1/customers/{customer}/balance_transactions", {cursor: foreign})
    assert (reply.status, reply.error) == _missing("customer balance transaction", foreign, cursor, 400)


def test_reading_or_editing_a_transaction_of_a_missing_customer_names_the_customer(api_on_moto: Api) -> None:
    txn = _other_customers_transaction(api_on_moto)
    path = f"/v1/customers/{MISSING_CUSTOMER}/balance_transactions/{txn}"
    expected = _missing("customer", MISSING_CUSTOMER, "customer")
    read = api_on_moto.get(path)
    edit = api_on_moto.post(path, {"description": "x"})
    assert ((read.status, read.error), (edit.status, edit.error)) == (expected, expected)


def test_reading_or_editing_another_customers_transaction_names_the_transaction(api_on_moto: Api) -> None:
    customer = api_on_moto.customer()["id"]
    foreign = _other_customers_transaction(api_on_moto)
    path = f"/v1/customers/{customer}/balance_transactions/{foreign}"
    expected = _missing("customer balance transaction", foreign, "id")
    read = api_on_moto.get(path)
    edit = api_on_moto.post(path, {"description": "x"}, headers={"Idempotency-Key": "edit-foreign"})
    assert ((read.status, read.error), (edit.status, edit.error)) == (expected, expected)


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_missing_customer_is_a_404_naming_it(api_on_moto: Api, method: str) -> None:
    params = {"name": "x"} if method == "POST" else None
    reply = api_on_moto.request(method, f"/v1/customers/{MISSING_CUSTOMER}", params)
    assert (reply.status, reply.error) == _missing("customer", MISSING_CUSTOMER, "id")
