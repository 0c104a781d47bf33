"""The commit paths' rare branches, driven on purpose on DynamoDB Local: a transaction cancelled by a
conflict (which returns no item), an idempotency key taken between a request's read and its commit,
and a customer deleted between an edit's read and its commit."""

import pytest

from ledger import dal
from tests.support.chains import assert_intact

pytestmark = pytest.mark.dynamodb_local


def _cancelled(reasons: list[dict]) -> tuple:
    """A TransactWriteItems answer as DynamoDB gives it when a transaction is cancelled."""
    from botocore.awsrequest import AWSResponse

    error = {"Code": "TransactionCanceledException",
             "Message": f"Transaction cancelled, please refer cancellation reasons for specific reasons "
                        f"[{', '.join(r['Code'] for r in reasons)}]"}
    return AWSResponse("https://local", 400, {}, None), {
        "Error": error, "CancellationReasons": reasons, "ResponseMetadata": {"HTTPStatusCode": 400}}


@pytest.fixture
def cancel_next_transactions():
    """The next `n` TransactWriteItems calls of the layer's client are cancelled with `reasons`."""
    registered = []

    def arm(n: int, reasons: list[dict]) -> list[int]:
        fired: list[int] = []

        def cancel(**_):
            if len(fired) < n:
                fired.append(1)
                return _cancelled(reasons)
            return None

        dal.client().meta.events.register_first("before-call.dynamodb.TransactWriteItems", cancel)
        registered.append(cancel)
        return fired

    yield arm
    for handler in registered:
        dal.client().meta.events.unregister("before-call.dynamodb.TransactWriteItems", handler)


def _delete_before_the_next(monkeypatch, commit: str, api, customer: str) -> None:
    """The next call of dal.<commit> finds the customer deleted by another request just before it (the
    delete's own commit goes through untouched)."""
    real, deleted = getattr(dal, commit), []

    def delete_first(*args, **kwargs):
        if not deleted:
            deleted.append(1)
            assert api.delete(f"/v1/customers/{customer}").status == 200
        return real(*args, **kwargs)

    monkeypatch.setattr(dal, commit, delete_first)


def test_a_transaction_conflict_is_retried_after_a_fresh_read(api, ledger_table, cancel_next_transactions):
    customer = api.customer()["id"]
    fired = cancel_next_transactions(2, [{"Code": "TransactionConflict"}, {"Code": "None"}])
    posted = api.transaction(customer, 40)
    assert fired == [1, 1]  # lost twice, to a conflict that hands back no state: read again, then won
    _, chain = assert_intact(customer)
    assert [t.id for t in chain] == [posted["id"]] and posted["ending_balance"] == 40


def test_a_key_taken_between_read_and_commit_replays_the_winner(api, ledger_table, monkeypatch):
    customer = api.customer()["id"]
    path = f"/v1/customers/{customer}/balance_transactions"
    first = api.post(path, {"amount": 7, "currency": "usd"}, headers={"Idempotency-Key": "race"})
    # The second request read before the first committed (its snapshot had no record), so it reaches
    # its commit, whose claim condition fails: it must replay the winner, never apply twice.
    original_read = dal.read

    def read_before_the_winner(mode, customer_id=None, position=None, claim=None):
        snapshot = original_read(mode, customer_id, position, claim)
        return snapshot._replace(claim=None) if customer_id is not None else snapshot

    monkeypatch.setattr(dal, "read", read_before_the_winner)
    second = api.post(path, {"amount": 7, "currency": "usd"}, headers={"Idempotency-Key": "race"})
    monkeypatch.undo()
    assert second.status == 200 and second.body == first.body
    assert second.headers.get("Idempotent-Replayed") == "true"
    _, chain = assert_intact(customer)
    assert len(chain) == 1


def test_a_key_taken_whose_record_is_gone_when_read_again_is_busy(api, ledger_table, monkeypatch):
    """The commit lost its claim, yet the re-read finds no record (it expired, or the winner's is not yet
    visible): the request is told the key is busy and may retry, and nothing is applied."""
    customer = api.customer()["id"]
    path = f"/v1/customers/{customer}/balance_transactions"
    assert api.post(path, {"amount": 7, "currency": "usd"}, headers={"Idempotency-Key": "busy"}).status == 200
    original_read = dal.read

    def read_no_record(mode, customer_id=None, position=None, claim=None):
        return original_read(mode, customer_id, position, claim)._replace(claim=None)

    monkeypatch.setattr(dal, "read", read_no_record)
    busy = api.post(path, {"amount": 7, "currency": "usd"}, headers={"Idempotency-Key": "busy"})
    monkeypatch.undo()
    assert (busy.status, busy.error) == (409, {
        "type": "invalid_request_error", "code": "idempotency_key_in_use",
        "doc_url": "https://stripe.com/docs/error-codes/idempotency-key-in-use",
        "message": "There is currently another in-progress request using this Idempotent Key ('busy'). "
                   "Please try again later."})
    assert busy.headers["Stripe-Should-Retry"] == "true"
    assert len(assert_intact(customer)[1]) == 1


def test_an_edit_whose_key_was_taken_meanwhile_replays(api, ledger_table, monkeypatch):
    customer = api.customer()["id"]
    txn = api.transaction(customer, 10)["id"]
    path = f"/v1/customers/{customer}/balance_transactions/{txn}"
    first = api.post(path, {"metadata": {"a": "1"}}, headers={"Idempotency-Key": "edit-race"})
    original_read = dal.read

    def read_before_the_winner(mode, customer_id=None, position=None, claim=None):
        snapshot = original_read(mode, customer_id, position, claim)
        return snapshot._replace(claim=None) if customer_id is not None else snapshot

    monkeypatch.setattr(dal, "read", read_before_the_winner)
    second = api.post(path, {"metadata": {"a": "1"}}, headers={"Idempotency-Key": "edit-race"})
    monkeypatch.undo()
    assert second.status == 200 and second.body == first.body
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert dal.whole_chain("test", customer)[0].revision == 2  # edited once


def test_an_edit_of_a_customer_deleted_meanwhile_is_a_404(api, ledger_table, monkeypatch):
    customer = api.customer()["id"]
    txn = api.transaction(customer, 10)["id"]
    _delete_before_the_next(monkeypatch, "commit_transaction_edit", api, customer)
    reply = api.post(f"/v1/customers/{customer}/balance_transactions/{txn}", {"description": "late"})
    monkeypatch.undo()
    assert (reply.status, reply.error["code"], reply.error["param"]) == (404, "resource_missing", "customer")
    assert reply.error["message"] == f"No such customer: '{customer}'"
    assert dal.whole_chain("test", customer)[0].description is None  # the edit did not land


@pytest.mark.parametrize(("reasons", "expected"), [
    ([{"Code": "ConditionalCheckFailed", "Item": None}, {"Code": "None"}], "StaleCustomer"),
    ([{"Code": "None"}, {"Code": "None"}, {"Code": "ConditionalCheckFailed"}], "ClaimTaken"),
    ([{"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}], "StaleCustomer"),
    ([{"Code": "ThrottlingError"}, {"Code": "None"}], "ClientError"),
])
def test_cancellation_reasons_map_to_what_the_commit_loop_does(reasons, expected):
    from botocore.exceptions import ClientError

    from ledger.dal import customers

    error = ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "x"},
                         "CancellationReasons": reasons}, "TransactWriteItems")
    assert type(customers._stale_or_raise(error, claim_index=2)).__name__ == expected


def test_an_update_of_a_customer_deleted_meanwhile_is_a_404_and_does_not_revive_it(api, ledger_table, monkeypatch):
    """The delete moves the version on, so the update that read before it loses its condition, reads
    again and finds the customer gone."""
    customer = api.customer()["id"]
    _delete_before_the_next(monkeypatch, "commit_customer", api, customer)
    reply = api.post(f"/v1/customers/{customer}", {"name": "late"})
    monkeypatch.undo()
    assert (reply.status, reply.error["code"], reply.error["param"]) == (404, "resource_missing", "id")
    stored, _ = assert_intact(customer)
    assert stored.deleted and stored.name is None
