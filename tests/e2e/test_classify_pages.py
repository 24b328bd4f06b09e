"""Browser tests of the Classify pages: MoViNet on a clip, both models side by side, a batch with CSV download."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from .browser import (
    ROOT,
    act_and_wait,
    assert_no_traceback,
    error_texts,
    go_to_page,
    main_text,
    open_app,
    screenshot,
    skip_if_placeholder,
    upload_file,
)

CARVING = "data/clips/carving_ice_rpi.mp4"


def press(page, name: str) -> None:
    """Click the button called exactly ``name`` in the main area and wait for the run to finish."""
    act_and_wait(page, page.locator('[data-testid="stMain"]').get_by_role("button", name=name, exact=True).click)


def classify_current_clip(page) -> None:
    """On the Classify page: press Classify when the result is not shown yet."""
    button = page.locator('[data-testid="stMain"]').get_by_role("button", name="Classify", exact=True)
    if button.count():
        press(page, "Classify")


def test_classify_movinet_example_and_uploaded_avi(page, home_dir):
    skip_if_placeholder("classify.py")
    open_app(page, f"/classify?clip={CARVING}&model=movinet")
    classify_current_clip(page)
    assert not error_texts(page), error_texts(page)
    success = page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    assert "carving ice" in success and "%" in success, success
    assert page.locator('img[src$=".gif"]').count() >= 1  # the frames the model saw
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 1  # the top-k chart
    screenshot(page, "classify-movinet")
    assert_no_traceback(page)

    archery = sorted((home_dir / "data/ucf101/avi/Archery").glob("*.avi"))
    if not archery:
        pytest.skip("no Archery AVI in the asset store")
    go_to_page(page, "Upload")
    upload_file(page, archery[0])
    go_to_page(page, "Classify")
    classify_current_clip(page)
    text = main_text(page)
    assert archery[0].name in text
    success = page.locator('[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentWarning"]').first.inner_text()
    assert "archery" in success.lower(), success
    screenshot(page, "classify-uploaded-avi")
    assert_no_traceback(page)


def test_uploaded_av1_clip_plays_and_is_classified(page, home_dir, tmp_path):
    """An AV1 WEBM (what YouTube often serves; OpenCV cannot decode it) plays, and MoViNet
    names it like the H.264 original."""
    from vidclass.synthetic import av1_copy

    skip_if_placeholder("classify.py")
    av1 = av1_copy(home_dir / CARVING, tmp_path / "carving ice av1.webm")
    open_app(page, "/upload")
    upload_file(page, av1)
    assert not error_texts(page), error_texts(page)
    assert "AV1" in main_text(page)
    video = page.locator("video").first
    video.wait_for()
    ready = page.evaluate(
        """async (video) => {
            for (let i = 0; i < 100 && video.readyState < 1 && !video.error; i++) {
                await new Promise(resolve => setTimeout(resolve, 100));
            }
            return {readyState: video.readyState, error: video.error && video.error.code};
        }""",
        video.element_handle(),
    )
    assert ready["error"] is None and ready["readyState"] >= 1, ready
    go_to_page(page, "Classify")
    classify_current_clip(page)
    assert not error_texts(page), error_texts(page)
    success = page.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    assert "carving ice" in success, success
    screenshot(page, "classify-uploaded-av1")
    assert_no_traceback(page)


def test_compare_both_models(page):
    skip_if_placeholder("compare.py")
    if not (ROOT / "assets/cnn_gru_ucf101/head.keras").is_file():
        pytest.skip("the CNN + GRU head (assets/cnn_gru_ucf101/head.keras) is not shipped yet")
    open_app(page, f"/compare?clip={CARVING}")
    assert not error_texts(page), error_texts(page)
    text = main_text(page)
    assert "600" in text  # the sentence on how the label sets differ
    columns = page.locator('[data-testid="stMain"] [data-testid="stColumn"]')
    assert columns.count() >= 2
    assert "carving ice" in text
    assert page.locator('img[src$=".gif"]').count() == 2  # the frames each model saw
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 2
    assert text.count("s in all") == 2  # time taken, per model
    screenshot(page, "compare")
    assert_no_traceback(page)


def test_batch_two_clips_and_download_csv(page, home_dir, artifacts_dir):
    skip_if_placeholder("batch.py")
    clips = [home_dir / CARVING, home_dir / "data/clips/jumping_jacks.mp4"]
    open_app(page, "/batch")
    upload_file(page, [str(path) for path in clips])
    assert "2 clips ready" in main_text(page)
    press(page, "Classify all")
    assert not error_texts(page), error_texts(page)
    assert "2 clips: 2 classified" in main_text(page)
    assert page.locator('[data-testid="stDataFrame"]').count() == 1
    screenshot(page, "batch")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    target = artifacts_dir / download.suggested_filename
    download.save_as(target)
    assert target.suffix == ".csv"
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 2, rows
    by_clip = {Path(row["clip"]).name: row for row in rows}
    assert set(by_clip) == {"carving_ice_rpi.mp4", "jumping_jacks.mp4"}, rows
    assert by_clip["carving_ice_rpi.mp4"]["top1"] == "carving ice", rows
    assert by_clip["jumping_jacks.mp4"]["top1"] == "jumping jacks", rows
    assert all(row["model"] == "movinet" and not row["error"] for row in rows), rows
    assert all(0 < float(row["score"]) <= 1 and float(row["seconds"]) > 0 for row in rows), rows
    # The download did not rerun the app: the table is still there.
    assert page.locator('[data-testid="stDataFrame"]').count() == 1
    assert_no_traceback(page)
