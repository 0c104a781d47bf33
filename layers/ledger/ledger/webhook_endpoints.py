"""Business rules of webhook endpoints (Stripe's Webhook Endpoints API), scoped to the caller's mode.

An endpoint's `secret` signs its deliveries: it is generated here (ledger.ids, from `secrets`) and shown
once, in the creation's response (and its idempotent replays). Live-mode endpoints must use https; test
mode may use http, so a developer can point one at a local receiver. A mode has at most ENDPOINTS_MAX
endpoints, counted on a consistent read before each creation. Edits and deletions are conditioned on
the endpoint's `version` and retry a lost race like every other write (chain.write_policy).
"""

from urllib.parse import urlsplit

from ledger import chain, clock, dal, errors, ids
from ledger.dal import webhook_endpoints as stored
from ledger.events import TYPES
from ledger.fields import URL_INVALID
from ledger.idempotency import Claim
from ledger.models import Caller, Mode, Page, WebhookEndpointRecord
from ledger.params import CreateWebhookEndpoint, ListWebhookEndpoints, UpdateWebhookEndpoint

ALL_EVENTS = "*"
KIND = "webhook endpoint"  # as Stripe names it in "No such webhook endpoint: '…'"


def create(caller: Caller, params: CreateWebhookEndpoint, claim: Claim | None = None) -> WebhookEndpointRecord:
    """A new endpoint with a new secret. With an Idempotency-Key, a retry replays the first response
    (the same endpoint and secret), even once the mode is full."""
    _check_url(caller.mode, params.url)
    _check_events(params.enabled_events)
    if claim is not None:
        claim.check(dal.read(caller.mode, claim=(claim.namespace, claim.key)).claim)
    if len(stored.all_endpoints(caller.mode)) >= stored.ENDPOINTS_MAX:
        raise errors.invalid(f"You have reached the maximum of {stored.ENDPOINTS_MAX} webhook endpoints in "
                             f"{caller.mode} mode. Delete one before adding another.")
    endpoint = WebhookEndpointRecord(
        id=ids.webhook_endpoint_id(), mode=caller.mode, url=params.url,
        enabled_events=_each_once(params.enabled_events), secret=ids.webhook_secret(), created=clock.now(),
        description=params.description,
        metadata=params.metadata.apply({}) if params.metadata else {}, api_version=params.api_version)
    try:
        stored.put_endpoint(endpoint, None, claim.record(endpoint) if claim is not None else None)
    except dal.ClaimTaken:
        raise chain.settle_claim_race(caller.mode, claim) from None
    except stored.StaleEndpoint:
        # A new id is never taken: only a concurrent request holding the same key conflicts.
        if claim is None:
            raise
        raise chain.settle_claim_race(caller.mode, claim) from None
    return endpoint


def retrieve(caller: Caller, endpoint_id: str) -> WebhookEndpointRecord:
    found = stored.get_endpoint(caller.mode, endpoint_id) if ids.is_webhook_endpoint_id(endpoint_id) else None
    if found is None:
        raise errors.no_such(KIND, endpoint_id)
    return found


def update(caller: Caller, endpoint_id: str, params: UpdateWebhookEndpoint,
           claim: Claim | None = None) -> WebhookEndpointRecord:
    """Change what the caller sent (metadata merged as on customers; `disabled` sets the status); the
    version moves on. Retried while another write of the endpoint wins."""
    if params.url is not None:
        _check_url(caller.mode, params.url)
    if params.enabled_events is not None:
        _check_events(params.enabled_events)
    if claim is not None:
        claim.check(dal.read(caller.mode, claim=(claim.namespace, claim.key)).claim)

    def write() -> WebhookEndpointRecord:
        current = retrieve(caller, endpoint_id)
        edited = _edited(current, params)
        if edited == current:  # nothing changes: nothing but the claim written
            if claim is not None:
                dal.commit_claim(claim.record(current))
            return current
        edited = edited.model_copy(update={"version": current.version + 1})
        stored.put_endpoint(edited, current.version, claim.record(edited) if claim is not None else None)
        return edited

    return chain.retrying(write, stored.StaleEndpoint, caller.mode, claim,
                          conflict_metric="WebhookEndpointConflictsRetried")


def _edited(current: WebhookEndpointRecord, params: UpdateWebhookEndpoint) -> WebhookEndpointRecord:
    changes: dict[str, object] = {}
    if params.url is not None:
        changes["url"] = params.url
    if params.enabled_events is not None:
        changes["enabled_events"] = _each_once(params.enabled_events)
    if "description" in params.model_fields_set:
        changes["description"] = params.description
    if params.metadata is not None:
        changes["metadata"] = params.metadata.apply(current.metadata)
    if params.disabled is not None:
        changes["disabled"] = params.disabled
        if current.disabled and not params.disabled:
            changes["failing_since"] = None  # enabled again: its three days of failures start over
    return current.model_copy(update=changes)


def delete(caller: Caller, endpoint_id: str, claim: Claim | None = None) -> WebhookEndpointRecord:
    """Delete the endpoint as last read; retried while another write of it wins. Returns what was
    deleted."""
    if claim is not None:
        claim.check(dal.read(caller.mode, claim=(claim.namespace, claim.key)).claim)

    def write() -> WebhookEndpointRecord:
        current = retrieve(caller, endpoint_id)
        stored.delete_endpoint(current, claim.record(current) if claim is not None else None)
        return current

    return chain.retrying(write, stored.StaleEndpoint, caller.mode, claim,
                          conflict_metric="WebhookEndpointConflictsRetried")


def list_page(caller: Caller, params: ListWebhookEndpoints) -> Page:
    """Newest first. A mode has few endpoints: one Query reads them all, and the page is cut here."""
    newest_first = list(reversed(stored.all_endpoints(caller.mode)))
    cursor_id = params.starting_after or params.ending_before
    if not cursor_id:
        return Page(items=newest_first[:params.limit], has_more=len(newest_first) > params.limit)
    at = next((i for i, e in enumerate(newest_first) if e.id == cursor_id), None)
    if at is None:
        param = "starting_after" if params.starting_after else "ending_before"
        raise errors.no_such(KIND, cursor_id, param=param, status=400)
    if params.starting_after:
        after = newest_first[at + 1:]
        return Page(items=after[:params.limit], has_more=len(after) > params.limit)
    before = newest_first[:at]  # newer than the cursor: the page is the `limit` nearest to it
    return Page(items=before[-params.limit:], has_more=len(before) > params.limit)


def _check_url(mode: Mode, url: str) -> None:
    if mode == "live" and urlsplit(url).scheme != "https":
        raise errors.invalid(f"Invalid URL: {url!r}. A live mode webhook endpoint's url must use https "
                             "(http is allowed in test mode only).", code=URL_INVALID, param="url")


def _check_events(enabled_events: list[str]) -> None:
    known = (ALL_EVENTS, *TYPES)
    for position, event_type in enumerate(enabled_events):
        if event_type not in known:
            raise errors.invalid(f"Invalid enabled_events[{position}]: must be one of "
                                 f"{', '.join(known[:-1])}, or {known[-1]}", param=f"enabled_events[{position}]")


def _each_once(enabled_events: list[str]) -> list[str]:
    return list(dict.fromkeys(enabled_events))
