"""A real headless browser for the tests of the HTML views (Debian's Chromium through the
python ``playwright`` package), with the network cut off.

``browser_or_skip()`` gives a launched browser, or skips the test when Chromium or
playwright is absent, except when ``FINFLOW_REQUIRE_BROWSER=1`` (CI sets it): then a
missing browser fails the test instead.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--headless=new"]


def chromium_path() -> str | None:
    env = os.environ.get("FINFLOW_CHROMIUM")
    for p in ([env] if env else []) + list(CHROMIUM_CANDIDATES):
        if p and Path(p).is_file():
            return p
    found = shutil.which("chromium")
    return found


def require_browser() -> bool:
    return os.environ.get("FINFLOW_REQUIRE_BROWSER", "") not in ("", "0")


def unavailable(reason: str):
    """Skip, or fail when the environment says a browser is required."""
    if require_browser():
        pytest.fail(f"FINFLOW_REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class PageReport:
    """What happened while a page was open."""

    page: Any
    blocked: list[str] = field(default_factory=list)     # non-file requests attempted
    errors: list[str] = field(default_factory=list)      # uncaught exceptions
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)     # alert/confirm/prompt attempts


def open_view(browser, path: Path | str, *, viewport=(1400, 900), timeout_ms: int = 30_000) -> PageReport:
    """Open a written view (a path, or a file:// URL with a #fragment) with every other
    request aborted, and wait until it reports that the layout has stabilised."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    rep = PageReport(page)

    def route(r):
        url = r.request.url
        if url.startswith("file://"):
            r.continue_()
        else:
            rep.blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: rep.errors.append(str(exc)))
    page.on("console", lambda msg: rep.console_errors.append(msg.text)
            if msg.type == "error" else None)

    def dialog(d):
        rep.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    url = str(path) if str(path).startswith("file://") else Path(path).resolve().as_uri()
    page.goto(url, wait_until="load")
    page.wait_for_selector(".finflow-view[data-ready='1']", state="attached", timeout=timeout_ms)
    return rep


def launch():
    """A launched headless Chromium and its playwright handle, or skip/fail."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the python playwright package is not installed")
    exe = chromium_path()
    if exe is None:
        unavailable("no Chromium found (apt-get install chromium)")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=exe, args=LAUNCH_ARGS)
    except Exception as exc:  # pragma: no cover - depends on the machine
        pw.stop()
        unavailable(f"Chromium at {exe} did not start: {exc}")
    return pw, browser
