"""GET /console: the operator console, a page with its script and style sheet (public: no data in them)."""

from functools import cache
from pathlib import Path

from ledger.api.operation import ApiRequest, operation
from ledger.api.responses import Document
from ledger.params import ConsoleFile

HERE = Path(__file__).resolve().parent
HTML, SCRIPT, STYLE = "text/html", "text/javascript", "text/css"
FILES = {None: ("console.html", HTML), "console.js": ("console.js", SCRIPT), "console.css": ("console.css", STYLE)}
# The page runs only its own script and style sheet and talks only to this API: no inline code, no
# other origin, no framing. Every value from the ledger is set as text by console.js, never as markup.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@cache
def _text(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def console_file(asset: str | None, params: ConsoleFile) -> Document:
    name, media_type = FILES[asset]
    return Document(_text(name), media_type, SECURITY_HEADERS)


@operation(ConsoleFile, console_file, response=None, media_type=HTML, public=True,
           other_media_types=(SCRIPT, STYLE))
def lambda_handler(request: ApiRequest[ConsoleFile]) -> str | None:
    return request.params.asset
