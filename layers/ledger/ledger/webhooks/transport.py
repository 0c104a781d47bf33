"""One HTTP POST of a delivery, with the standard library (no client library needed for one request
shape). Only the status matters: a 2xx is success, anything else (another status, a timeout, a refused
connection, a TLS failure) is a failed attempt."""

import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"  # what receivers see from Stripe


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery, as with Stripe: the endpoint's URL is the one to fix."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, payload: str, headers: dict[str, str], timeout_s: float, public_only: bool) -> int | None:
    """The response's status, or None when none came (timeout, connection refused, …). `public_only`
    (live mode, and every delivery on AWS): a host that resolves to a loopback, private, link-local or
    otherwise non-public address (the Lambda runtime API and metadata services among them) is never
    contacted."""
    if public_only and not _public(url):  # (a re-resolution by the connection itself is not re-checked)
        return None
    # The timeout bounds the whole attempt: urllib's bounds each socket operation, so a receiver that
    # drips its answer would otherwise hold the attempt open.
    attempt = ThreadPoolExecutor(max_workers=1)
    try:
        return attempt.submit(_send, url, payload, headers, timeout_s).result(timeout=timeout_s)
    except FutureTimeout:
        return None
    finally:
        attempt.shutdown(wait=False)


def _send(url: str, payload: str, headers: dict[str, str], timeout_s: float) -> int | None:
    request = urllib.request.Request(url, data=payload.encode(), method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **headers})
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)
    except (OSError, ValueError):  # URLError, timeouts, resets; a URL urllib cannot use
        return None


def _public(url: str) -> bool:
    """Whether every address the URL's host resolves to is a public one."""
    parts = urllib.parse.urlsplit(url)
    try:
        found = socket.getaddrinfo(parts.hostname or "", parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return False
    return bool(found) and all(ipaddress.ip_address(str(entry[4][0]).split("%")[0]).is_global for entry in found)
