"""The local IAM evaluation and DynamoDB limits (tools.local_aws): IAM's rules and the services'
authorization mapping, checked without an engine."""

import pytest

from tools.local_aws import dynamodb_limits, iam
from tools.local_aws.iam import Request, Role, UnsupportedPolicy

TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/ledger"
LEADING = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["test#cus_*"]},
           "Null": {"dynamodb:LeadingKeys": "false"}}


def role(*statements: dict) -> Role:
    return Role(name="R", statements=statements)


def get(pk: str | None, action: str = "dynamodb:GetItem", resource: str = TABLE) -> Request:
    return Request(action, resource, {"dynamodb:LeadingKeys": (pk,)} if pk else {})


def test_allow_needs_a_matching_action_and_resource():
    granted = role({"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": TABLE})
    assert granted.allows(get("test#cus_1"))
    assert not granted.allows(get("test#cus_1", "dynamodb:PutItem"))
    assert not granted.allows(get("test#cus_1", resource=TABLE + "-other"))
    assert not granted.allows(get("test#cus_1", resource=TABLE + "/index/by_email"))


def test_wildcards_and_case():
    granted = role({"Effect": "Allow", "Action": "DynamoDB:Get*", "Resource": TABLE + "/index/*"})
    assert granted.allows(get(None, "dynamodb:GetItem", TABLE + "/index/by_email"))
    assert not granted.allows(get(None, "dynamodb:GetItem", TABLE))


def test_explicit_deny_wins():
    granted = role({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
                   {"Effect": "Deny", "NotAction": "dynamodb:GetItem", "Resource": "*"})
    assert granted.allows(get("x"))
    assert not granted.allows(get("x", "dynamodb:PutItem"))


def test_leading_keys_with_the_null_guard():
    granted = role({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE, "Condition": LEADING})
    assert granted.allows(get("test#cus_1"))
    assert not granted.allows(get("apikeys"))
    assert not granted.allows(get(None))  # ForAllValues alone would allow a request without the key
    mixed = Request("dynamodb:GetItem", TABLE, {"dynamodb:LeadingKeys": ("test#cus_1", "apikeys")})
    assert not granted.allows(mixed)


def test_for_all_values_alone_allows_a_request_without_the_key_as_on_aws():
    granted = role({"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": TABLE,
                    "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["test#*"]}}})
    assert granted.allows(get(None, "dynamodb:Scan"))


def test_an_unmodelled_condition_fails_loudly():
    granted = role({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE,
                    "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
    with pytest.raises(UnsupportedPolicy):
        granted.allows(get("x"))


def test_transactions_are_authorized_action_by_action():
    requests = iam.requests_of("dynamodb", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "ledger", "Item": {"pk": {"S": "test#cus_1"}, "sk": {"S": "~customer"}}}},
        {"Update": {"TableName": "ledger", "Key": {"pk": {"S": "test#cus_1"}, "sk": {"S": "txn#1"}}}},
        {"ConditionCheck": {"TableName": "ledger", "Key": {"pk": {"S": "test#idem#k"}, "sk": {"S": "i"}}}},
    ]})
    assert [(r.action, r.context["dynamodb:LeadingKeys"]) for r in requests] == [
        ("dynamodb:PutItem", ("test#cus_1",)), ("dynamodb:UpdateItem", ("test#cus_1",)),
        ("dynamodb:ConditionCheckItem", ("test#idem#k",))]


def test_batch_get_and_index_queries():
    (batch,) = iam.requests_of("dynamodb", "BatchGetItem", {"RequestItems": {"ledger": {"Keys": [
        {"pk": {"S": "test#cus_1"}, "sk": {"S": "a"}}, {"pk": {"S": "test#idem#k"}, "sk": {"S": "b"}}]}}})
    assert batch.action == "dynamodb:BatchGetItem" and batch.resource == TABLE
    assert batch.context["dynamodb:LeadingKeys"] == ("test#cus_1", "test#idem#k")
    (query,) = iam.requests_of("dynamodb", "Query", {
        "TableName": "ledger", "IndexName": "customers_by_email",
        "KeyConditionExpression": "gsi2pk = :pk AND gsi2sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":pk": {"S": "test#email#x"}, ":low": {"S": "0"}, ":high": {"S": "~"}}})
    assert query.resource == TABLE + "/index/customers_by_email"
    assert query.context["dynamodb:LeadingKeys"] == ("test#email#x",)


def test_sqs_batches_are_authorized_as_their_single_actions():
    (send,) = iam.requests_of("sqs", "SendMessageBatch", {"QueueUrl": "http://x/000000000000/q.fifo"})
    assert send == Request("sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:q.fifo")
    assert iam.requests_of("sqs", "PurgeQueue", {"QueueUrl": "q"})[0].action == "sqs:PurgeQueue"
    with pytest.raises(UnsupportedPolicy):  # a service without a mapping is never let through unchecked
        iam.requests_of("kinesis", "PutRecord", {})


def key(pk: str, sk: str = "~customer") -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def test_key_sizes_are_counted_in_utf8_bytes():
    assert dynamodb_limits.violation("GetItem", {"Key": key("a" * 2048)}) is None
    assert "hashkey" in dynamodb_limits.violation("GetItem", {"Key": key("a" * 2049)})
    assert "hashkey" in dynamodb_limits.violation("GetItem", {"Key": key("\U0001f600" * 513)})
    assert "range keys" in dynamodb_limits.violation("GetItem", {"Key": key("a", "é" * 513)})
    assert "empty string" in dynamodb_limits.violation("GetItem", {"Key": key("")})


def test_query_key_values_are_checked():
    query = {"KeyConditionExpression": "#p = :pk AND sk BETWEEN :low AND :high",
             "ExpressionAttributeNames": {"#p": "pk"},
             "ExpressionAttributeValues": {":pk": {"S": "a" * 2049}, ":low": {"S": "a"}, ":high": {"S": "b"}}}
    assert "hashkey" in dynamodb_limits.violation("Query", query)
    query["ExpressionAttributeValues"][":pk"] = {"S": "a"}
    query["ExpressionAttributeValues"][":high"] = {"S": "b" * 1025}
    assert "range keys" in dynamodb_limits.violation("Query", query)


def test_index_keys_of_an_item_are_checked_on_write():
    item = {**key("test#cus_1"), "gsi2pk": {"S": "x" * 2049}, "gsi2sk": {"S": "1"}}
    assert "Index Key gsi2pk" in dynamodb_limits.violation("PutItem", {"Item": item})


def test_item_size_counts_names_and_nested_values():
    assert dynamodb_limits.item_size({"ab": {"S": "cde"}}) == 5
    assert dynamodb_limits.item_size({"n": {"N": "12345"}}) == 1 + 4
    assert dynamodb_limits.item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    big = {**key("test#cus_1"), "body": {"S": "x" * (400 * 1024)}}
    assert dynamodb_limits.violation("PutItem", {"Item": big}) == "Item size has exceeded the maximum allowed size"


def test_transaction_and_batch_limits():
    put = {"Put": {"TableName": "t", "Item": key("test#cus_1")}}
    assert dynamodb_limits.violation("TransactWriteItems", {"TransactItems": [put] * 100}) is None
    too_many = dynamodb_limits.violation("TransactWriteItems", {"TransactItems": [put] * 101})
    assert "less than or equal to 100" in too_many
    keys = [key(f"test#cus_{i}") for i in range(101)]
    assert dynamodb_limits.violation("BatchGetItem", {"RequestItems": {"t": {"Keys": keys}}}) == (
        "Too many items requested for the BatchGetItem call.")

