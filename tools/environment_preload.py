"""Imported once by the local run's fork server (tools.environments), before any function's
environment variables are set: what every function would import and load in its init phase, so each
worker forked from it pays only for its own function's code.

Nothing here may read a function's configuration (Powertools and the layer's settings read theirs at
import), open a connection, or start a thread: every worker inherits this process as it is.
"""

import boto3
import botocore.client  # noqa: F401
import pydantic  # noqa: F401
import pydantic_core  # noqa: F401
from aws_lambda_powertools import Logger, Metrics  # noqa: F401
from aws_lambda_powertools.logging import correlation_paths  # noqa: F401
from aws_lambda_powertools.metrics import MetricUnit  # noqa: F401

from tools import lambda_local, local_aws, template

template.load()
template.transformed()
local_aws.install()
lambda_local.use_layer()
# The default session's loader keeps the service model it read: each worker's own client starts warm.
boto3.client("dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
