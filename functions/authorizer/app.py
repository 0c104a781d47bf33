"""The API's Lambda authorizer (TOKEN type, the Authorization header).

Allows a known, unrevoked `sk_test_`/`sk_live_` key for every route of the stage (a policy cached
for one route would break the others) and passes its mode and key id to the functions. Denies any
other key with the message for its kind (publishable, restricted, unknown) in the context, which the
ACCESS_DENIED gateway response inserts into its body as is: so the message is JSON-escaped here,
whatever the caller sent. The header and the key are never logged.
"""

import json
from typing import NotRequired, TypedDict

from ledger import api_keys
from ledger.config import settings
from ledger.observability import logger

PUBLISHABLE_KEY = ("This API call cannot be made with a publishable API key. Please use a secret API key. You can "
                   "find a list of your API keys at https://dashboard.stripe.com/account/apikeys.")
# Stripe accepts restricted keys with the permissions granted to them; this API has no permissions to
# grant, so it says why the key is refused rather than calling it invalid.
RESTRICTED_KEY = ("The provided key '{masked}' is a restricted API key, which this API does not support. Please "
                  "use a secret API key (one that starts with sk_test_ or sk_live_). You can find a list of your "
                  "API keys at https://dashboard.stripe.com/account/apikeys.")


class TokenEvent(TypedDict):
    """What API Gateway sends a TOKEN authorizer."""

    type: str
    authorizationToken: NotRequired[str]
    methodArn: str


@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: TokenEvent, context: object) -> dict[str, object]:
    secret = api_keys.secret_from_authorization(event.get("authorizationToken"))
    record = api_keys.authenticate(secret) if secret else None
    stage_routes = _stage_wildcard(event["methodArn"])
    if record is None:
        logger.info("denied")
        return _policy("anonymous", "Deny", stage_routes, {"message": _json_string_content(_refusal(secret))})
    logger.info("allowed", extra={"key_id": record.key_id, "mode": record.mode})
    allowed = _policy(record.key_id, "Allow", stage_routes, {"mode": record.mode, "key_id": record.key_id})
    usage_key = settings().usage_keys.get(record.mode)
    if usage_key:  # the mode's usage plan: API Gateway throttles test and live traffic apart
        allowed["usageIdentifierKey"] = usage_key
    return allowed


def _refusal(secret: str | None) -> str:
    if secret and api_keys.is_publishable(secret):
        return PUBLISHABLE_KEY
    if secret and api_keys.is_restricted(secret):
        return RESTRICTED_KEY.format(masked=api_keys.mask(secret))
    return f"Invalid API Key provided: {api_keys.mask(secret) if secret else '****'}"


def _json_string_content(text: str) -> str:
    """`text` as it may stand between the quotes of a JSON string: quotes, backslashes, control and
    non-ASCII characters escaped."""
    return json.dumps(text)[1:-1]


def _stage_wildcard(method_arn: str) -> str:
    """arn:aws:execute-api:region:account:api/stage/METHOD/path -> arn:…:api/stage/*/*"""
    api_and_stage = "/".join(method_arn.split("/")[:2])
    return f"{api_and_stage}/*/*"


def _policy(principal: str, effect: str, resource: str, context: dict[str, str]) -> dict[str, object]:
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17",
                           "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]},
        "context": context,
    }
