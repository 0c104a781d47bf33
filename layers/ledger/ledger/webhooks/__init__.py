"""Webhook deliveries: every event POSTed, signed, to each enabled endpoint that wants it, and published
to the EventBridge bus.

`dispatch` turns each new event (an insert in the table's stream) into one queued delivery per endpoint
(fan-out: a slow or failing endpoint holds up only its own deliveries) and one EventBridge entry.
`delivery` makes one attempt of one delivery: a 2xx within the timeout is success; anything else is
retried with exponential backoff (the message's visibility) for up to three days, then dead-lettered; an
endpoint that has only failed for three days is disabled. How and why: docs/design.md ("Webhooks").
"""
