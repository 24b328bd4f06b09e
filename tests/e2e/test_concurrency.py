"""Eight browser sessions classify eight different clips at the same moment: all succeed, and each
shows the same answer as that clip classified on its own (one at a time, in this process)."""

from __future__ import annotations

import re

import pytest

from .browser import RUN_TIMEOUT_MS, assert_no_traceback, error_texts, new_app_page, screenshot, skip_if_placeholder, wait_for_run_after

SESSIONS = 8


def answer_of(page) -> str:
    """The answer box's text ("carving ice — 98% sure." or the not-sure sentence), whitespace squeezed."""
    box = page.locator('[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentWarning"]').first
    return " ".join(box.inner_text().split())


def test_eight_sessions_classify_at_once(browser, warm_app, home_dir):
    skip_if_placeholder("classify.py")
    from app_pages.common import gallery_paths
    from vidclass.classifiers import load_classifier

    gallery = dict(gallery_paths()[:SESSIONS])  # {store path, as in a ?clip= link: file}, the app's own gallery
    if len(gallery) < SESSIONS:
        pytest.skip(f"only {len(gallery)} example clips in {home_dir}")

    # One at a time, in this process: the reference answers.
    classifier = load_classifier("movinet")
    expected = {item: classifier.classify(path, top_k=5).top for item, path in gallery.items()}

    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in gallery]
    try:
        pages = []
        for context, item in zip(contexts, gallery):  # open the eight sessions, their first runs overlapping
            context.set_default_timeout(RUN_TIMEOUT_MS)
            page = new_app_page(context, warm_app)
            page.goto(f"{warm_app}/classify?clip={item}&model=movinet")
            pages.append(page)
        for page in pages:
            wait_for_run_after(page, 0)
        # Press Classify in all eight sessions without waiting in between: the runs overlap on the server.
        before = [page.runs_finished for page in pages]
        for page in pages:
            page.locator('[data-testid="stMain"]').get_by_role("button", name="Classify", exact=True).click(no_wait_after=True)
        for page, runs in zip(pages, before):
            wait_for_run_after(page, runs)
        for page, item in zip(pages, gallery):
            assert not error_texts(page), (item, error_texts(page))
            assert_no_traceback(page)
            answer = answer_of(page)
            best = expected[item]
            assert best.label in answer, (item, answer, best)
            percent = re.search(r"(\d+)%", answer)
            assert percent and abs(int(percent.group(1)) - round(100 * float(best.score))) <= 1, (item, answer, best)
        screenshot(pages[-1], "concurrent-classify")
    finally:
        for context in contexts:
            context.close()
