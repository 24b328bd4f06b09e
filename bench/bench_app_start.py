"""App start to first paint: ``streamlit run app.py`` until the Home page's title shows in Chromium.

    python bench/bench_app_start.py [--repeats 3]

For each repeat: Chromium is launched first (not timed), then the clock starts, the server
is started on a free port of 127.0.0.1, ``/_stcore/health`` is polled every 50 ms, the
browser opens ``/`` and the clock stops when the heading "vidclass" is visible. Target:
≤ 3 s (median).

Naive peer, measured in the same run the same way: the same first paint from an app that
imports TensorFlow at the top of its script (as the TF tutorials' demo apps and the Keras
example's Space do). The ratio peer / vidclass is printed.

Also reported: whether TensorFlow is loaded (a) in a fresh interpreter after importing
``app_pages.common`` and the ``vidclass`` modules the Home page uses, and (b) in the running
server's process after the Home page painted (its memory map names no TensorFlow library).
Neither may be the case: TensorFlow is imported lazily, only where a page needs it.
Needs Debian's Chromium (``/usr/bin/chromium``) and Playwright's Python package.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_setup import ROOT  # noqa: E402  (paths and VIDCLASS_HOME)

from e2e.browser import sync_playwright_or_exit, free_port, launch_chromium, stop_server  # noqa: E402

TARGET_SECONDS = 3.0
PEER_APP = '''import tensorflow as tf  # the naive way: the model library loads before anything shows
import streamlit as st

st.set_page_config(page_title="vidclass — classify video", layout="wide")
st.title("🎬 vidclass")
st.write("TensorFlow", tf.__version__)
'''
HOME_IMPORTS = "import app_pages.common, vidclass.store, vidclass.video, vidclass.sampling, vidclass.errors"


def first_paint(browser, script: Path, cwd: Path, cache: str) -> dict:
    """Seconds from starting the server to the visible "vidclass" heading, and what loaded."""
    port = free_port()
    env = dict(os.environ, VIDCLASS_CACHE=cache, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{script.name}: streamlit exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"{script.name}: no health answer within 120 s")
            time.sleep(0.05)
        healthy = time.perf_counter() - started
        page.goto(base + "/")
        page.get_by_role("heading", name="vidclass").first.wait_for(state="visible", timeout=120_000)
        painted = time.perf_counter() - started
        page.wait_for_timeout(300)
        maps = Path(f"/proc/{process.pid}/maps")
        tensorflow_loaded = "tensorflow" in maps.read_text() if maps.exists() else None
        rss = _rss_mb(process.pid)
        return {"healthy": healthy, "painted": painted, "tensorflow_loaded": tensorflow_loaded, "rss_mb": rss}
    finally:
        context.close()
        stop_server(process)


def _rss_mb(pid: int) -> float | None:
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / (1024 * 1024)
    except Exception:
        return None


def home_imports_pull_tensorflow() -> tuple[bool, float]:
    """(TensorFlow in sys.modules, seconds) after importing what the Home page imports, in a fresh interpreter."""
    code = (
        "import sys, time\n"
        "started = time.perf_counter()\n"
        f"{HOME_IMPORTS}\n"
        "seconds = time.perf_counter() - started\n"
        "print(any(m == 'tensorflow' or m.startswith('tensorflow.') or m == 'keras' for m in sys.modules), seconds)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded, seconds = result.stdout.split()[-2:]
    return loaded == "True", float(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sync_playwright = sync_playwright_or_exit("the first paint")

    tensorflow_imported, import_seconds = home_imports_pull_tensorflow()
    print(f"importing the Home page's modules ({HOME_IMPORTS.removeprefix('import ')}): "
          f"{import_seconds:.2f} s, TensorFlow in sys.modules: {tensorflow_imported}")

    ours, peers = [], []
    with tempfile.TemporaryDirectory(prefix="vidclass-bench-start-") as folder, sync_playwright() as playwright:
        peer_script = Path(folder) / "peer_app.py"
        peer_script.write_text(PEER_APP, encoding="utf-8")
        cache = str(Path(folder) / "cache")
        browser = launch_chromium(playwright)
        try:
            for repeat in range(1, args.repeats + 1):
                ours.append(first_paint(browser, ROOT / "app.py", ROOT, cache))
                peers.append(first_paint(browser, peer_script, Path(folder), cache))
                print(f"  repeat {repeat}: vidclass {ours[-1]['painted']:.2f} s (healthy at {ours[-1]['healthy']:.2f} s), "
                      f"eager-TensorFlow app {peers[-1]['painted']:.2f} s (healthy at {peers[-1]['healthy']:.2f} s)")
        finally:
            browser.close()

    ours_median = statistics.median(run["painted"] for run in ours)
    peers_median = statistics.median(run["painted"] for run in peers)
    server_tf = any(run["tensorflow_loaded"] for run in ours)
    rss = statistics.median(run["rss_mb"] for run in ours if run["rss_mb"] is not None)
    peer_rss = statistics.median(run["rss_mb"] for run in peers if run["rss_mb"] is not None)
    print()
    print(f"start to first paint, vidclass: median {ours_median:.2f} s of {args.repeats} "
          f"(target ≤ {TARGET_SECONDS:.0f} s: {'OK' if ours_median <= TARGET_SECONDS else 'OVER'}); "
          f"server RSS after the Home page {rss:.0f} MB")
    print(f"start to first paint, app importing TensorFlow at the top: median {peers_median:.2f} s; RSS {peer_rss:.0f} MB")
    print(f"ratio eager-TensorFlow / vidclass: {peers_median / ours_median:.2f}×")
    print(f"TensorFlow loaded in the server after the Home page painted: {server_tf}")
    ok = ours_median <= TARGET_SECONDS and not server_tf and not tensorflow_imported
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
