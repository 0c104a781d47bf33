"""Balance transaction items: pages of a customer's chain (one Query, in key order, which is chain
order), and the only edit a transaction ever gets (description and metadata, by revision)."""

from ledger import ids
from ledger.dal import keys
from ledger.dal.client import client, table
from ledger.dal.conflicts import ClaimTaken, CustomerGone, StaleTransaction
from ledger.dal.idempotency import claim_put
from ledger.models import BalanceTransactionRecord, CustomerRecord, IdempotencyRecord, Mode


def transaction_page(mode: Mode, customer_id: str, *, lowest: int | None = None, highest: int | None = None,
         cursor: tuple[int, int] | None = None, newest_first: bool = True, limit: int = 10,
         with_customer: bool = False) -> tuple[CustomerRecord | None, list[BalanceTransactionRecord]]:
    """At most `limit` of the customer's transactions created in [lowest, highest], from `cursor`'s
    position (created, sequence) on in the direction of travel (the cursor itself may come back).
    `with_customer` (newest first, no upper bound): the customer item comes back from the same Query,
    since it sorts just after the newest transaction."""
    if not ids.is_customer_id(customer_id):
        return None, []
    low = keys.created_floor_sk(lowest) if lowest is not None else keys.TXN_PREFIX
    high = keys.created_ceiling_sk(highest) if highest is not None else keys.TXN_TOP
    if with_customer and highest is None and cursor is None and newest_first:
        high = keys.CUSTOMER_SK
    if cursor is not None and newest_first:
        high = min(high, keys.transaction_sk(*cursor))
    elif cursor is not None:
        low = max(low, keys.transaction_sk(*cursor))
    if low > high:
        return None, []
    response = client().query(
        TableName=table(),
        KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues={":pk": {"S": keys.partition(mode, customer_id)}, ":low": {"S": low},
                                   ":high": {"S": high}},
        ScanIndexForward=not newest_first, ConsistentRead=True, Limit=limit)
    items = response["Items"]
    customer = next((i for i in items if keys.is_customer(i)), None)
    return keys.customer(customer), [keys.transaction(i) for i in items if not keys.is_customer(i)]


def commit_transaction_edit(
    transaction: BalanceTransactionRecord, expected_revision: int, claim: IdempotencyRecord | None = None
) -> None:
    """Replace a transaction's description and metadata, if its customer still exists and nobody
    edited it since `expected_revision`. Amount, currency and balances are never rewritten here."""
    from botocore.exceptions import ClientError

    key = keys.transaction_key(transaction.mode, transaction.customer, transaction.created, transaction.sequence)
    try:
        client().transact_write_items(TransactItems=[
            {"ConditionCheck": {
                "TableName": table(), "Key": keys.customer_key(transaction.mode, transaction.customer),
                "ConditionExpression": "deleted = :false",
                "ExpressionAttributeValues": {":false": {"BOOL": False}},
            }},
            {"Update": {
                "TableName": table(), "Key": key,
                "UpdateExpression": "SET description = :d, metadata = :m, revision = :next",
                "ConditionExpression": "revision = :expected",
                "ExpressionAttributeValues": {
                    ":d": keys.to_av(transaction.description), ":m": keys.to_av(transaction.metadata),
                    ":next": {"N": str(expected_revision + 1)}, ":expected": {"N": str(expected_revision)},
                },
            }},
            *([{"Put": claim_put(claim)}] if claim is not None else []),
        ])
    except ClientError as error:
        reasons = error.response.get("CancellationReasons") or [{}, {}]
        if len(reasons) > 2 and reasons[2].get("Code") == "ConditionalCheckFailed":
            raise ClaimTaken() from error
        if reasons[0].get("Code") == "ConditionalCheckFailed":
            raise CustomerGone() from error
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            raise StaleTransaction() from error
        raise
