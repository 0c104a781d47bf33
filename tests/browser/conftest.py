"""Headless Chromium (Debian's package, /usr/bin/chromium) driven by Playwright against the local run
(`make run`'s own server, tests/e2e/conftest.py). `make test` installs both (Makefile: `browser`); in CI
a missing browser fails the tests instead of skipping them."""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import server, server_table  # noqa: F401  (the fixtures, shared)
from tools import template

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Headless, and nothing that reaches out: this machine's network is closed, and a console never calls
# anything but its own origin.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
SCREENSHOTS = template.ROOT / ".local" / "screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests need {reason} in CI (make test installs it)")
    pytest.skip(f"{reason} unavailable: run `make browser`")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright (pip package playwright)")
    if not CHROMIUM.exists():
        _unavailable(f"Chromium ({CHROMIUM}, Debian package chromium)")
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # a loaded machine (make test runs two workers)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield launched
        launched.close()


@dataclass
class Seen:
    """What a page did: dialogs it opened, console lines, every request's URL, failures."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    posts: list[dict[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def console(browser: Any, server: str) -> Iterator[tuple[Any, Seen]]:  # noqa: F811
    """A fresh tab (its own context: no shared storage) on the console, recording what it does."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    seen = Seen()

    def dialog(d: Any) -> None:
        seen.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.on("console", lambda message: seen.console.append(message.text))
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("request", lambda request: seen.posts.append(request.headers) if request.method == "POST" else None)
    page.set_default_timeout(15_000)
    page.goto(f"{server}/console")
    yield page, seen
    context.close()
    assert not seen.errors, seen.errors


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
