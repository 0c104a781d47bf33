"""Stripe's webhook signature: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">`
keyed with the endpoint's secret, which every Stripe SDK's verifier (stripe.Webhook.construct_event)
checks, with the timestamp inside its tolerance."""

import hashlib
import hmac


def signature(payload: str, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()


def header(payload: str, secret: str, timestamp: int) -> str:
    return f"t={timestamp},v1={signature(payload, secret, timestamp)}"
