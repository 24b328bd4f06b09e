"""The command line, run as ``python -m vidclass …`` in subprocesses on real clips and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import require_asset

ROOT = Path(__file__).resolve().parents[1]


def run_cli(
    *arguments, env_changes: dict | None = None, temp_dir: Path | None = None, cwd: Path = ROOT,
) -> subprocess.CompletedProcess:
    """``python -m vidclass ARGUMENTS`` from ``cwd`` (default the repo root, whose package
    is importable from anywhere); TMPDIR set to ``temp_dir`` when given."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(env_changes or {})
    if temp_dir is not None:
        env["TMPDIR"] = str(temp_dir)
    return subprocess.run(
        [sys.executable, "-m", "vidclass", *map(str, arguments)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, exit_code: int = 2) -> str:
    """The command failed with ``exit_code`` and exactly one stderr line, no traceback."""
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("vidclass: ")
    return lines[0]


@pytest.fixture(scope="module")
def archery_avi(shared_home) -> Path:
    folder = require_asset(shared_home, "data/ucf101/avi/Archery")
    return sorted(folder.glob("*.avi"))[0]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, clips_dir) -> dict[str, Path]:
    """Files every clip command must refuse with exit 2."""
    folder = tmp_path_factory.mktemp("bad")
    zero = folder / "zero.mp4"
    zero.write_bytes(b"")
    noise = folder / "noise.mp4"
    noise.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    real = (clips_dir / "jumping_jacks.mp4").read_bytes()
    truncated = folder / "truncated.mp4"
    truncated.write_bytes(real[: len(real) // 2])
    unknown = folder / "clip.xyz"
    unknown.write_bytes(real)
    return {"zero": zero, "noise": noise, "truncated": truncated, "unknown": unknown, "missing": folder / "missing.mp4"}


@pytest.mark.parametrize("command", ["info", "frames", "gif"])
def test_each_command_has_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert f"usage: vidclass {command}" in result.stdout


def test_info_prints_metadata_of_every_real_clip(clips_dir, archery_avi):
    clips = sorted(clips_dir.glob("*.mp4")) + [archery_avi]
    assert len(clips) >= 6
    for clip in clips:
        result = run_cli("info", clip)
        assert result.returncode == 0, result.stderr
        info = json.loads(result.stdout)
        assert info["frame_count"] > 0 and info["fps"] > 0 and info["width"] > 0 and info["height"] > 0
        assert info["file_bytes"] == clip.stat().st_size
    avi = json.loads(run_cli("info", archery_avi).stdout)
    assert (avi["width"], avi["height"], avi["fps"]) == (320, 240, 25.0)


def test_frames_writes_pngs_named_by_source_index(archery_avi, tmp_path):
    import cv2

    out = tmp_path / "frames"
    result = run_cli("frames", archery_avi, "--n", 8, "--strategy", "uniform", "--size", 112, "--pad", "--out", out)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    written = sorted(out.glob("*.png"))
    assert len(written) == summary["written"] == 8
    indices = [item["index"] for item in summary["frames"]]
    assert indices == sorted(indices) and len(set(indices)) == 8
    assert {path.name for path in written} == {f"frame_{index:06d}.png" for index in indices}
    image = cv2.imread(str(written[0]))
    assert image.shape == (112, 112, 3)
    assert image[:5].max() < 20  # --pad: 320×240 in a square leaves black bars top and bottom


def test_gif_writes_a_looping_gif_with_the_asked_frames(archery_avi, tmp_path):
    from PIL import Image

    out = tmp_path / "clip.gif"
    result = run_cli("gif", archery_avi, "--n", 6, "--size", 96, "--fps", 5, "--out", out)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.n_frames == 6
        assert image.info["loop"] == 0
        assert image.info["duration"] == 200
        assert image.size == (96, 96)


@pytest.mark.parametrize("command", ["info", "frames", "gif"])
@pytest.mark.parametrize("kind", ["zero", "noise", "truncated", "unknown", "missing"])
def test_bad_input_exits_2_with_one_line(command, kind, bad_inputs, tmp_path):
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    extra = {"info": [], "frames": ["--out", tmp_path / "out"], "gif": ["--out", tmp_path / "x.gif"]}[command]
    result = run_cli(command, bad_inputs[kind], *extra, temp_dir=temp_dir)
    line = assert_one_line_error(result)
    assert bad_inputs[kind].name in line
    assert list(temp_dir.iterdir()) == []
    assert not (tmp_path / "x.gif").exists()


def test_bad_arguments_exit_2_with_one_line(archery_avi, tmp_path):
    line = assert_one_line_error(run_cli("gif", archery_avi, "--n", 0, "--out", tmp_path / "x.gif"))
    assert "--n" in line
    line = assert_one_line_error(run_cli("gif", archery_avi, "--fps", -3, "--out", tmp_path / "x.gif"))
    assert "--fps" in line


def test_gif_never_overwrites_the_clip_or_a_file_that_is_not_a_gif(archery_avi, tmp_path):
    clip = tmp_path / "clip.avi"
    clip.write_bytes(archery_avi.read_bytes())
    original = clip.read_bytes()
    link = tmp_path / "link.avi"
    link.symlink_to(clip)
    for out in (clip, tmp_path / "." / "clip.avi", link):
        line = assert_one_line_error(run_cli("gif", clip, "--n", 2, "--out", out))
        assert "is the input clip itself" in line
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me", encoding="utf-8")
    line = assert_one_line_error(run_cli("gif", clip, "--n", 2, "--out", notes))
    assert "already exists and is not a GIF" in line
    assert clip.read_bytes() == original and notes.read_text(encoding="utf-8") == "keep me"
    old_gif = tmp_path / "old.gif"
    old_gif.write_bytes(b"GIF89a and an old animation")
    result = run_cli("gif", clip, "--n", 2, "--size", 32, "--out", old_gif)
    assert result.returncode == 0, result.stderr
    assert len(old_gif.read_bytes()) > 100 and sorted(path.name for path in tmp_path.iterdir()) == [
        "clip.avi", "link.avi", "notes.txt", "old.gif"]


def test_frames_and_gif_refuse_an_empty_out(archery_avi, tmp_path):
    for command in ("frames", "gif"):
        line = assert_one_line_error(run_cli(command, archery_avi, "--n", 2, "--out", "", cwd=tmp_path))
        assert "--out must name" in line
    assert list(tmp_path.iterdir()) == []


def test_argument_errors_are_one_line(tmp_path):
    line = assert_one_line_error(run_cli("yt8m", "train", "--shards", "x", "--out", tmp_path / "m", "--hidden", "0"))
    assert line == "vidclass: argument --hidden: must be at least 1, got 0 (see `vidclass yt8m train --help`)."
    line = assert_one_line_error(run_cli("classify", "--model", "nope", "clip.mp4"))
    assert "argument --model: invalid choice: 'nope'" in line


def test_tensorflow_start_up_lines_stay_off_stderr(tmp_path):
    """A bad shard read with TensorFlow: stderr holds the one error line, none of TensorFlow's C++ lines."""
    junk = tmp_path / "junk.tfrecord"
    junk.write_bytes(b"not a tfrecord at all" * 50)
    result = run_cli("yt8m", "eval", "--shards", junk, env_changes={"VIDCLASS_CACHE": str(tmp_path / "cache")})
    line = assert_one_line_error(result)
    assert "junk.tfrecord" in line


def _fake_tensorflow(folder: Path, import_fails: bool) -> Path:
    """A ``tensorflow`` package that logs on file descriptor 2 like the real one, then
    imports (with nothing in it) or fails as a broken install would."""
    package = folder / "tensorflow"
    package.mkdir(parents=True)
    ending = 'raise ImportError("libtensorflow_framework.so.2: cannot open shared object file")' if import_fails else ""
    (package / "__init__.py").write_text(
        "import os\n"
        "os.write(2, b'I0000 00:00:1.0 port.cc:153] oneDNN custom operations are on.\\n')\n" + ending + "\n",
        encoding="utf-8",
    )
    return folder


def test_tensorflow_log_lines_are_shown_only_when_its_import_fails(tmp_path):
    junk = tmp_path / "junk.tfrecord"
    junk.write_bytes(b"not a tfrecord at all" * 50)
    for import_fails in (False, True):
        fake = _fake_tensorflow(tmp_path / f"fake-{import_fails}", import_fails)
        result = run_cli("yt8m", "index", "--shards", junk, env_changes={
            "PYTHONPATH": f"{fake}{os.pathsep}{ROOT}", "VIDCLASS_CACHE": str(tmp_path / "cache")})
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        if import_fails:
            assert lines[0].endswith("oneDNN custom operations are on.")
            assert lines[1].startswith("vidclass: internal error: ImportError: libtensorflow_framework")
        else:
            assert len(lines) == 1 and lines[0].startswith("vidclass: internal error:"), result.stderr


def test_fetch_lists_asset_names_in_help():
    result = run_cli("fetch", "--help")
    assert result.returncode == 0
    for name in ("movinet", "mobilenet_v2", "mobilenet_v1", "yt8m"):
        assert name in result.stdout


def test_fetch_unknown_asset_exits_2(tmp_path):
    result = run_cli("fetch", "no-such-model", env_changes={"VIDCLASS_HOME": str(tmp_path / "home")})
    line = assert_one_line_error(result)
    assert "no-such-model" in line and "movinet" in line
    assert not (tmp_path / "home").exists()


def test_missing_asset_names_asset_places_and_command(tmp_path):
    """With an empty home, finding a model says which asset, where it looked, and the fetch command."""
    code = (
        "from vidclass import store\n"
        "store.find('models/movinet_a0_stream_int8/movinet_a0_stream_int8.tflite')\n"
    )
    empty_home, cache = tmp_path / "home", tmp_path / "cache"
    empty_home.mkdir()
    env = dict(os.environ, VIDCLASS_HOME=str(empty_home), VIDCLASS_CACHE=str(cache))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "AssetMissingError" in message
    assert "'movinet'" in message and str(empty_home) in message and str(cache) in message
    assert "vidclass fetch movinet" in message
