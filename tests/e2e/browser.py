"""Browser-test helpers: start/stop the ``streamlit run app.py`` server, launch Debian's Chromium,
wait for Streamlit to finish a run, save screenshots, read the page's text.

The server listens on a free port of 127.0.0.1 only; Chromium runs headless with its
background networking off, so nothing leaves the machine. When Chromium or Playwright
is missing the tests skip with the reason (CI installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SERVER_START_SECONDS = 60
RUN_TIMEOUT_MS = 90_000  # a Streamlit rerun (a model's first load included) must finish within this


def chromium_path() -> str | None:
    """The Chromium binary to drive: ``$VIDCLASS_CHROMIUM``, /usr/bin/chromium, or one on PATH."""
    for candidate in (os.environ.get("VIDCLASS_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def browser_missing_reason() -> str | None:
    """Why a real browser can't be driven here (Chromium or Playwright missing), or None."""
    if chromium_path() is None:
        return "Chromium is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements.txt)"
    return None


def sync_playwright_or_exit(what: str):
    """Playwright's ``sync_playwright`` for a benchmark; without Chromium or Playwright, print why
    ``what`` can't be measured and exit with status 1."""
    reason = browser_missing_reason()
    if reason:
        print(f"{reason}: cannot measure {what}")
        raise SystemExit(1)
    from playwright.sync_api import sync_playwright

    return sync_playwright


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base_url: str, process: subprocess.Popen, timeout: float) -> None:
    """Poll ``/_stcore/health`` until it answers ``ok``; raise with the server's output otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200 and response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit did not answer {base_url}/_stcore/health within {timeout:.0f} s")


def start_server(cache_dir: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app.py`` from the repo root on a free port; returns (process, base URL).

    The server inherits ``VIDCLASS_HOME`` and writes only into ``cache_dir`` (``VIDCLASS_CACHE``).
    Its output goes to ``log_path``.
    """
    port = free_port()
    env = dict(os.environ)
    env["VIDCLASS_CACHE"] = cache_dir
    env.setdefault("VIDCLASS_HOME", str((ROOT.parent / "shared").resolve()))
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    # The YouTube-8M page looks up YouTube ids on the dataset's web service: point it at a closed
    # port of this machine so the tests never reach outside 127.0.0.1 (the page says "Offline").
    env["VIDCLASS_YT8M_LOOKUP"] = "http://127.0.0.1:9"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    log = open(log_path, "wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base_url, process, SERVER_START_SECONDS)
    except Exception:
        stop_server(process)
        raise
    return process, base_url


def stop_server(process: subprocess.Popen) -> None:
    """Terminate the server (kill it when it does not stop within 10 s)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def launch_chromium(playwright):
    """Debian's Chromium through Playwright, headless, with background networking off."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)


# --- helpers the tests share ------------------------------------------------------------------


def wait_for_app(page, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until Streamlit has rendered the page and no script run is in progress.

    Idle means: the app's script state (``data-test-script-state`` on ``stApp``) is
    ``notRunning`` (it is ``initial`` before the first run and ``running`` during one), the
    main area has rendered at least one element, and no skeleton, spinner or "Running…" status
    shows, all for 0.6 s in a row (reruns often start right after a run ended); then no HTTP
    request for 0.5 s (widgets' code is fetched the first time they appear).
    """
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stMain"], [data-testid="stAppViewContainer"]', timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    idle_since = None
    while time.monotonic() < deadline:
        running = page.evaluate(
            """() => {
                const app = document.querySelector('[data-testid="stApp"]');
                const state = app ? app.getAttribute('data-test-script-state') : null;
                // 'initial' before the first run has started, 'running' during a run.
                if (state !== 'notRunning' && state !== 'compilationError') return true;
                if (!document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]')) return true;
                if (document.querySelector('[data-testid="stSkeleton"]')) return true;
                const spinner = document.querySelector('[data-testid="stSpinner"]');
                const widget = document.querySelector('[data-testid="stStatusWidget"]');
                return Boolean(spinner) || Boolean(widget && /Running|Stop/i.test(widget.innerText));
            }"""
        )
        if running:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > 0.6:
            # Widgets' code is loaded on first use: wait for those fetches (the websocket is not counted).
            page.wait_for_load_state("networkidle", timeout=max(1000, int((deadline - time.monotonic()) * 1000)))
            return
        time.sleep(0.1)
    raise TimeoutError(f"the app was still running after {timeout_ms / 1000:.0f} s")


def open_app(page, path: str = "/") -> None:
    """Go to ``path`` of the app (e.g. ``/frames?clip=…``) and wait until its first run is over.

    ``page`` comes from ``new_app_page`` (its runs are tracked).
    """
    act_and_wait(page, lambda: page.goto(page.app_url + path))


def wait_for_images(page, timeout_ms: int = 15_000) -> None:
    """Wait until every <img> on the page has finished loading (or failed)."""
    page.wait_for_function("() => [...document.images].every(image => image.complete)", timeout=timeout_ms)


def content_height(page) -> int:
    """Height in CSS pixels of everything Streamlit rendered (its main area scrolls by itself)."""
    return int(
        page.evaluate(
            """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]',
                                   '[data-testid="stSidebarContent"]', 'body']
                .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight))"""
        )
    )


def screenshot(page, name: str, max_height: int = 4000) -> Path:
    """A screenshot of the whole rendered page at ``test-artifacts/<name>.png``; returns its path.

    Streamlit's main area scrolls inside a fixed-height window, so a "full page" screenshot
    would show only the first screen: the viewport is stretched to the content's height
    (at most ``max_height``) for the shot and restored after.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    wait_for_images(page)
    viewport = page.viewport_size
    height = min(max(content_height(page), viewport["height"]), max_height)
    if height != viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": height})
        page.wait_for_timeout(400)  # let images re-lay out
    try:
        page.screenshot(path=str(path))
    finally:
        if height != viewport["height"]:
            page.set_viewport_size(viewport)
    return path


def main_text(page) -> str:
    """All visible text of the page (main area and sidebar)."""
    return page.locator('[data-testid="stApp"]').inner_text()


def assert_no_traceback(page) -> None:
    """No traceback or Streamlit exception box anywhere on the page (visible or folded)."""
    html = page.content()
    assert "Traceback (most recent call last)" not in html
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, [boxes.nth(i).inner_text()[:500] for i in range(boxes.count())]


def page_source(page_file: str) -> Path:
    """The file of a page (``"classify.py"``) in the app's page folder (whatever that folder is called)."""
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    found = re.search(r"""st\.Page\(\s*["']([^"']*/)?""" + re.escape(page_file) + """["']""", app)
    folder = found.group(1) if found and found.group(1) else "app_pages/"
    return ROOT / folder / page_file


def skip_if_placeholder(page_file: str) -> None:
    """Skip when the page ``page_file`` (e.g. ``"classify.py"``) is still the "being built" placeholder."""
    path = page_source(page_file)
    source = path.read_text(encoding="utf-8") if path.is_file() else ""
    if not source or ("This page is being built" in source and len(source) < 400):
        pytest.skip(f"{path.relative_to(ROOT)} is missing or still the 'being built' placeholder")


def error_texts(page) -> list[str]:
    """The message of every ``st.error`` box on the page (its icon left out)."""
    boxes = page.locator('[data-testid="stAlertContentError"] [data-testid="stMarkdownContainer"]')
    return [text.strip() for text in boxes.all_inner_texts()]


def squeeze(text: str) -> str:
    """Whitespace collapsed to single spaces (for text checks across line breaks)."""
    return re.sub(r"\s+", " ", text)


def widget_key_class(key: str) -> str:
    """The CSS class Streamlit gives the container of a widget with ``key`` (``st-key-…``)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def track_runs(page) -> None:
    """Count the script runs the server reports finished for ``page`` (``page.runs_finished``).

    Reads Streamlit's own websocket messages (``ForwardMsg.script_finished``), so even a run
    too fast to show in the page's DOM is seen.
    """
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    page.runs_finished = 0

    def on_frame(payload) -> None:
        if isinstance(payload, str):
            return
        message = ForwardMsg()
        try:
            message.ParseFromString(bytes(payload))
        except Exception:  # not a ForwardMsg: ignore
            return
        if message.WhichOneof("type") == "script_finished":
            page.runs_finished += 1

    page.on("websocket", lambda socket: socket.on("framereceived", on_frame))


def new_app_page(context, base_url: str):
    """A new page of ``context`` for the app at ``base_url`` (``page.app_url``), its runs tracked."""
    page = context.new_page()
    page.app_url = base_url
    track_runs(page)
    return page


def wait_for_run_after(page, runs_before: int, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until a run has finished since ``runs_before`` was read, then until the app is idle."""
    deadline = time.monotonic() + timeout_ms / 1000
    while page.runs_finished <= runs_before:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no script run finished within {timeout_ms / 1000:.0f} s")
        page.wait_for_timeout(50)  # lets Playwright deliver the websocket events
    wait_for_app(page, max(1000, int((deadline - time.monotonic()) * 1000)))


def act_and_wait(page, action, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Do ``action()`` (a click, an upload…) that makes Streamlit rerun; return when that rerun is over."""
    before = page.runs_finished
    action()
    wait_for_run_after(page, before, timeout_ms)


def pick_gallery_clip(page, store_path: str) -> None:
    """On the Home page, click "Use this clip" under the example ``store_path`` and wait."""
    act_and_wait(page, page.locator(f".{widget_key_class('gallery-' + store_path)} button").click)


def go_to_page(page, title: str) -> None:
    """Click the sidebar navigation link ``title`` (same session: state is kept) and wait."""
    act_and_wait(page, page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click)


def upload_file(page, path, input_index: int = 0) -> None:
    """Put ``path`` (or a list of paths) into the page's ``input_index``-th file uploader and wait
    for the rerun the upload causes."""
    act_and_wait(page, lambda: page.locator('input[type="file"]').nth(input_index).set_input_files(path))
