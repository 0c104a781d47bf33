"""The guarantees as stripe-python sees them: authentication errors, idempotency errors, test/live
isolation, and its own automatic retries (with its auto-generated Idempotency-Key) never applying a
request twice when the first response is lost after the commit."""

import pytest

from tests.support.api import LIVE_KEY
from tests.support.chains import assert_intact
from tests.support.faults import lose_response_after_commit
from tools.local_api import DEFAULT_KEY

pytestmark = pytest.mark.dynamodb_local


def test_authentication_errors(stripe_client):
    stripe = stripe_client
    with pytest.raises(stripe.AuthenticationError) as bad:
        stripe.Customer.list(api_key="sk_test_thisKeyDoesNotExist1234")
    assert bad.value.http_status == 401 and "sk_test_****1234" in str(bad.value)
    stripe.api_key = None
    with pytest.raises(stripe.AuthenticationError):
        stripe.Customer.list()


def test_idempotency_error_on_mismatch(stripe_client):
    stripe = stripe_client
    customer = stripe.Customer.create()
    first = stripe.Customer.create_balance_transaction(customer.id, amount=100, currency="usd",
                                                       idempotency_key="e2e-key")
    again = stripe.Customer.create_balance_transaction(customer.id, amount=100, currency="usd",
                                                       idempotency_key="e2e-key")
    assert again.id == first.id and again.ending_balance == first.ending_balance
    with pytest.raises(stripe.IdempotencyError):
        stripe.Customer.create_balance_transaction(customer.id, amount=101, currency="usd",
                                                   idempotency_key="e2e-key")
    assert stripe.Customer.retrieve(customer.id).balance == 100


def test_test_and_live_keys_are_isolated(stripe_client):
    stripe = stripe_client
    live = stripe.Customer.create(api_key=LIVE_KEY, balance=-300)
    assert live.livemode is True
    with pytest.raises(stripe.InvalidRequestError) as hidden:
        stripe.Customer.retrieve(live.id, api_key=DEFAULT_KEY)
    assert hidden.value.http_status == 404
    assert live.id not in [c.id for c in stripe.Customer.list(api_key=DEFAULT_KEY, limit=100).data]
    assert stripe.Customer.retrieve(live.id, api_key=LIVE_KEY).balance == -300


def test_automatic_retries_after_a_lost_response_apply_once(in_process_server, ledger_table):
    import stripe

    client = stripe.StripeClient(DEFAULT_KEY, base_addresses={"api": in_process_server}, max_network_retries=2)
    customer = client.v1.customers.create()
    with lose_response_after_commit() as lost:
        txn = client.v1.customers.balance_transactions.create(customer.id, {"amount": -700, "currency": "usd"})
    assert lost == [1]  # the first attempt committed, then its response was lost; the client retried
    assert txn.amount == -700 and txn.ending_balance == -700
    _, chain = assert_intact(customer.id)
    assert [t.id for t in chain] == [txn.id]
