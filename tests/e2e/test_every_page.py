"""Every page of the app opens in the browser with an example clip chosen: no error, no traceback.

Screenshots of each land in test-artifacts/page-<name>.png (look at them).
"""

from __future__ import annotations

import pytest

from .browser import ROOT, assert_no_traceback, error_texts, go_to_page, main_text, open_app, pick_gallery_clip, screenshot

MISSING_MODELS = [
    folder
    for folder, needed in (("cnn_gru_ucf101", "head.keras"), ("yt8m_model", "model.npz"))
    if not (ROOT / "assets" / folder / needed).is_file()
]

# (sidebar title, url path, a text the page must show)
PAGES = [
    ("Home", "home", "Example clips"),
    ("Upload", "upload", "Upload a clip"),
    ("Frames", "frames", "Frames a model looks at"),
    ("Classify", "classify", "Classify"),
    ("Compare models", "compare", "Compare models"),
    ("Batch", "batch", "Batch"),
    ("Train your own", "train", "Train your own"),
    ("YouTube-8M", "youtube8m", "YouTube-8M"),
    ("About the models", "about", "About the models"),
]


def test_every_page_opens_with_a_clip_chosen(page):
    open_app(page, "/")
    pick_gallery_clip(page, "data/clips/jumping_jacks.mp4")
    placeholders = []
    for title, url_path, expected in PAGES:
        go_to_page(page, title)
        path = "/" + page.url.split("?")[0].split("/", 3)[-1]
        assert path in ("/" + url_path, "/" if url_path == "home" else None), page.url
        text = main_text(page)
        screenshot(page, f"page-{url_path}")
        if "This page is being built" in text:
            placeholders.append(title)
            continue
        assert expected in text, (title, text[:300])
        errors = error_texts(page)
        # Until a model ships, its one-line missing-asset message is the right answer.
        errors = [error for error in errors if not any(name in error for name in MISSING_MODELS)]
        assert not errors, (title, errors)
        assert_no_traceback(page)
    if placeholders:
        pytest.skip(f"pages still 'being built': {', '.join(placeholders)} (the others passed)")


def test_hand_typed_home_address_opens_home(page):
    """Home is served at ``/``; a typed ``/home`` opens it too instead of "Page not found"."""
    open_app(page, "/home")
    page.get_by_text("Example clips").first.wait_for(timeout=15_000)
    assert "Page not found" not in page.locator("body").inner_text()
    assert page.url.split("?")[0].rstrip("/") == page.app_url.rstrip("/")
    assert_no_traceback(page)
