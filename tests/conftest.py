"""Shared fixtures. The environment is set before any handler or boto3 client exists: Powertools
reads its variables at import, and a boto3 client created without dummy credentials could reach AWS."""

import os

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "ledger", "POWERTOOLS_METRICS_NAMESPACE": "CustomerLedger",
    "DEFAULT_CURRENCY": "usd", "TABLE_NAME": "ledger-test",
    # The customer indexes answer as AWS's do, a moment behind the writes (tools/local_aws/index_lag.py):
    # no test may depend on reading an index right after writing it.
    "LOCAL_INDEX_LAG_MS": "300",
})
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)

pytest_plugins = ["tests.support.fixtures", "tests.support.webhooks"]

# Every AWS call in the tests is decided as AWS would: the calling function's IAM role, DynamoDB's limits.
from tools import local_aws  # noqa: E402

local_aws.install()
