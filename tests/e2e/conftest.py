"""End-to-end fixtures: one ``streamlit run app.py`` server per test session, Debian's Chromium
driven by Playwright (one browser per session), and a fresh page per test.

The server listens on a free port of 127.0.0.1 only; Chromium runs headless with its
background networking off, so nothing leaves the machine. When Chromium or Playwright
is missing the tests skip with the reason (CI installs both).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from .browser import ARTIFACTS, RUN_TIMEOUT_MS, browser_missing_reason, launch_chromium, new_app_page, open_app, start_server, stop_server


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``test-artifacts/`` at the repo root (git-ignored): screenshots and downloads land here."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def home_dir(shared_home, clips_dir) -> Path:
    """The asset store the server reads (``VIDCLASS_HOME``); skip when it has no example clips."""
    return shared_home


@pytest.fixture(scope="session")
def app_url(home_dir, artifacts_dir):
    """Base URL of one ``streamlit run app.py`` server for the whole session (127.0.0.1, free port)."""
    cache = tempfile.mkdtemp(prefix="vidclass-e2e-cache-")
    process, base_url = start_server(cache, artifacts_dir / "streamlit-server.log")
    try:
        yield base_url
    finally:
        stop_server(process)
        shutil.rmtree(cache, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; skips (with the reason) when it can't be had."""
    reason = browser_missing_reason()
    if reason:
        pytest.skip(f"{reason}: the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def warm_app(browser, app_url) -> str:
    """The server, after one visit to ``/`` (the router) — see test_shared_link.py for why a first visit
    to a deep link is tested on its own fresh server."""
    context = browser.new_context()
    try:
        open_app(new_app_page(context, app_url), "/")
    finally:
        context.close()
    return app_url


@pytest.fixture
def page(browser, warm_app):
    """A fresh browser page (its own Streamlit session) at 1280×900, closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    browser_page = new_app_page(context, warm_app)
    try:
        yield browser_page
    finally:
        context.close()




def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder ``e2e`` (``-m "not e2e"`` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
