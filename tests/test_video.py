"""Opening, probing and reading clips, including every bad input of the foundation issue."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

import vidclass.video as video
from vidclass.errors import BadInputError
from vidclass.sampling import SamplingConfig, sample_frames, uniform_indices
from vidclass.synthetic import read_index, run_ffmpeg
from vidclass.video import Clip, iter_frames, probe, read_frames

from conftest import require_asset


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """``tempfile.gettempdir()`` becomes a folder only this test uses (other processes share /tmp)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def leftover_temp_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("vidclass-*"))


def assert_bad_upload(name: str, data: bytes, folder: Path, config: SamplingConfig | None = None) -> str:
    """Upload ``data`` as ``name``: probing and sampling raise a one-line BadInputError, no temp file stays."""
    clip = Clip.from_bytes(name, data)
    with pytest.raises(BadInputError) as raised:
        with clip.local_path() as path:
            sample_frames(path, config or SamplingConfig(num_frames=4, size=32), probe(path))
    message = str(raised.value)
    assert message and "\n" not in message and "Traceback" not in message
    assert leftover_temp_files(folder) == []
    return message


def assert_sample_upload(name: str, data: bytes, folder: Path, config: SamplingConfig):
    """Upload ``data`` as ``name`` and sample it; no temp file stays."""
    with Clip.from_bytes(name, data).local_path() as path:
        assert path.parent.parent == folder and path.parent.name.startswith("vidclass-")
        assert path.name == name
        sampled = sample_frames(path, config)
    assert leftover_temp_files(folder) == []
    return sampled


# --- clips -----------------------------------------------------------------------------


def test_clip_from_bytes_hash_and_suffix(synthetic_clip):
    path = synthetic_clip("small.mp4", 10, height=60, width=80)
    from_path, from_bytes = Clip.from_path(path), Clip.from_bytes("Upload.MP4", path.read_bytes())
    assert from_bytes.suffix == ".mp4"
    assert from_path.content_hash() == from_bytes.content_hash()
    assert len(from_bytes.content_hash()) == 64
    with from_path.local_path() as local:
        assert local == path  # a file on disk is read in place


def test_local_path_removes_the_temp_file_even_when_the_body_raises(synthetic_clip, private_tmp):
    data = synthetic_clip("small.mp4", 10, height=60, width=80).read_bytes()
    with pytest.raises(RuntimeError):
        with Clip.from_bytes("upload.mp4", data).local_path() as path:
            assert path.exists() and path.name == "upload.mp4" and path.read_bytes() == data
            raise RuntimeError("the body failed")
    assert not path.exists()
    assert leftover_temp_files(private_tmp) == []


# --- probe -------------------------------------------------------------------------------


def test_probe_synthetic(synthetic_clip):
    info = probe(synthetic_clip("probe.mp4", 50, fps=25, height=120, width=160))
    assert (info.frame_count, info.fps, info.width, info.height, info.rotation) == (50, 25.0, 160, 120, 0)
    assert info.duration_seconds == 2.0
    assert info.codec == "H264"
    assert info.describe() == "2.0 s, 25 fps, 160×120, 50 frames, H.264"
    assert info.as_dict()["frame_count"] == 50


def decoded_count(path: Path) -> int:
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    count = 0
    while capture.grab():
        count += 1
    capture.release()
    return count


def test_probe_real_clips(clips_dir):
    paths = sorted(clips_dir.glob("*.mp4"))
    assert paths, f"no clips in {clips_dir}"
    for path in paths:
        info = probe(path)
        assert info.frame_count == decoded_count(path), path.name
        assert 4 <= info.fps <= 61 and 100 <= info.width <= 1920 and 100 <= info.height <= 1080, info
        assert info.codec == "H264" and info.rotation == 0
        assert info.duration_seconds == pytest.approx(info.frame_count / info.fps, abs=0.01)
    jumping = probe(require_asset(clips_dir, "jumping_jacks.mp4"))
    assert (jumping.frame_count, jumping.fps, jumping.width, jumping.height) == (64, 10.0, 794, 710)


def test_probe_real_avis_counts_decodable_frames_and_names_xvid(shared_home):
    paths = sorted((shared_home / "data/ucf101/avi").glob("*/*.avi"))
    if not paths:
        pytest.skip(f"no UCF101 AVIs in {shared_home}")
    for path in paths:
        info = probe(path)
        assert info.codec == "XVID", path.name  # not OpenCV's generic FMP4
        assert (info.width, info.height) == (320, 240)
        assert info.fps in (25.0, 29.97)
        assert info.frame_count == decoded_count(path), path.name  # headers can overstate (BaseballPitch)


def test_read_frames_matches_a_full_read_on_real_clips(shared_home):
    avi = sorted((shared_home / "data/ucf101/avi").glob("BaseballPitch/*.avi"))  # its header overstates
    mp4 = sorted((shared_home / "data/clips").glob("carving_ice_rpi.mp4"))
    if not avi or not mp4:
        pytest.skip(f"real clips missing in {shared_home}")
    for path in (avi[0], mp4[0]):
        count = probe(path).frame_count
        wanted = [0, 1, count // 3, count // 2, count - 1]
        picked = read_frames(path, wanted)
        for index, frame in iter_frames(path):
            if index in picked:
                assert np.array_equal(picked[index], frame), (path.name, index)
        assert sorted(picked) == sorted(set(wanted))


def test_read_frames_seeks_exactly_on_a_long_clip(synthetic_clip):
    path = synthetic_clip("ten_minutes.mp4", 15000, fps=25, height=120, width=160)
    wanted = [14999, 7, 3000, 3001, 3050, 9999, 0, 12345, 7]  # any order, duplicates, far gaps
    frames = read_frames(path, wanted)
    assert sorted(frames) == sorted(set(wanted))
    assert {index: read_index(frame) for index, frame in frames.items()} == {i: i for i in set(wanted)}


def test_read_frames_past_the_end_is_absent(synthetic_clip):
    path = synthetic_clip("small.mp4", 10, height=60, width=80)
    frames = read_frames(path, [2, 9, 10, 500])
    assert sorted(frames) == [2, 9]


def test_iter_frames_from_a_start(synthetic_clip):
    path = synthetic_clip("ten_minutes.mp4", 15000, fps=25, height=120, width=160)
    got = [(index, read_index(frame)) for index, frame in iter_frames(path, start=5000, stop=5004)]
    assert got == [(i, i) for i in range(5000, 5004)]


@pytest.mark.parametrize(
    "suffix, codec_options",
    [
        (".ts", ["-c", "copy"]), (".mts", ["-c", "copy"]), (".m2ts", ["-c", "copy"]),
        (".mpg", ["-c:v", "mpeg2video", "-q:v", "4"]), (".wmv", ["-c:v", "wmv2"]), (".flv", ["-c:v", "flv1"]),
        (".3gp", ["-c", "copy"]), (".ogv", ["-c:v", "libtheora"]),
    ],
)  # fmt: skip
def test_other_containers_are_counted_and_read_exactly(synthetic_clip, tmp_path, suffix, codec_options):
    """Camcorder (MPEG-TS), DVD (MPEG-PS), Windows Media, Flash, old-phone and Ogg clips. In
    MPEG-TS and MPEG-PS a seek back to frame 0 lands elsewhere: counting must not seek."""
    source = synthetic_clip("small.mp4", 30, height=120, width=160)
    path = tmp_path / f"clip{suffix}"
    run_ffmpeg("-i", str(source), *codec_options, str(path))
    info = probe(path)
    assert info.frame_count == 30, info
    frames = read_frames(path, range(30))
    assert [read_index(frames[index]) for index in sorted(frames)] == list(range(30))
    check = Clip.from_bytes(f"upload{suffix}", path.read_bytes())
    with check.local_path() as uploaded:
        assert probe(uploaded).frame_count == 30


# --- bad inputs of the foundation issue ----------------------------------------------------


def test_bad_zero_byte_file(private_tmp):
    message = assert_bad_upload("empty.mp4", b"", private_tmp)
    assert "empty" in message


def test_bad_random_bytes_named_mp4(private_tmp):
    noise = np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    message = assert_bad_upload("noise.mp4", noise, private_tmp)
    assert "noise.mp4" in message


def test_bad_sound_only_mp4_says_there_is_no_picture(clips_dir, tmp_path, private_tmp):
    """The audio track of a real clip, alone in an MP4 (what a phone's voice memo or a
    wrongly exported clip is): told apart from a damaged file."""
    sound = tmp_path / "sound.mp4"
    run_ffmpeg("-i", str(require_asset(clips_dir, "jumping_jacks.mp4")), "-vn", "-c:a", "copy", str(sound))
    message = assert_bad_upload("voice memo.mp4", sound.read_bytes(), private_tmp)
    assert "voice memo.mp4" in message and "only sound" in message
    noise = np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    assert "only sound" not in assert_bad_upload("noise.mp4", noise, private_tmp)


def test_bad_truncated_mp4_first_half_of_a_real_file(clips_dir, private_tmp):
    data = require_asset(clips_dir, "jumping_jacks.mp4").read_bytes()
    assert_bad_upload("truncated.mp4", data[: len(data) // 2], private_tmp)


def test_truncated_faststart_mp4_is_sampled_with_a_mask(clips_dir, tmp_path, private_tmp):
    """With the index at the front, the first half still plays: sample what is there."""
    whole = tmp_path / "faststart.mp4"
    run_ffmpeg("-i", str(require_asset(clips_dir, "jumping_jacks.mp4")), "-c", "copy", "-movflags", "+faststart", str(whole))
    data = whole.read_bytes()
    half = tmp_path / "half.mp4"
    half.write_bytes(data[: len(data) // 2])
    info = probe(half)
    assert 10 <= info.frame_count < 64 and info.frame_count == decoded_count(half)
    sampled = assert_sample_upload("half.mp4", data[: len(data) // 2], private_tmp, SamplingConfig(num_frames=64, size=32))
    assert sampled.mask.sum() == info.frame_count
    assert sampled.indices[sampled.mask].tolist() == list(range(info.frame_count))
    assert not sampled.frames[~sampled.mask].any()


def test_truncated_long_clip_counts_only_frames_that_decode(synthetic_clip, tmp_path):
    """A long clip cut in half: its index still claims 15,000 frames; seeks find the real end."""
    whole = tmp_path / "long_faststart.mp4"
    run_ffmpeg("-i", str(synthetic_clip("ten_minutes.mp4", 15000, fps=25, height=120, width=160)),
           "-c", "copy", "-movflags", "+faststart", str(whole))
    data = whole.read_bytes()
    half = tmp_path / "long_half.mp4"
    half.write_bytes(data[: len(data) // 2])
    info = probe(half)
    assert 5000 < info.frame_count < 10000
    assert info.frame_count == decoded_count(half)
    sampled = sample_frames(half, SamplingConfig(num_frames=16, size=(120, 160), geometry="stretch"), info)
    assert sampled.indices.tolist() == uniform_indices(info.frame_count, 16).tolist()
    assert [read_index(frame) for frame in sampled.frames] == sampled.indices.tolist()


def test_bad_clip_with_one_frame(synthetic_clip, private_tmp):
    data = synthetic_clip("one.mp4", 1, height=120, width=160).read_bytes()
    info_clip = Clip.from_bytes("one.mp4", data)
    with info_clip.local_path() as path:
        assert probe(path).frame_count == 1
    sampled = assert_sample_upload("one.mp4", data, private_tmp, SamplingConfig(num_frames=16, size=(120, 160), geometry="stretch"))
    assert sampled.indices.tolist() == [0] + [-1] * 15
    assert read_index(sampled.frames[0]) == 0
    assert sampled.mask.sum() == 1 and not sampled.frames[1:].any()


def test_bad_clip_shorter_than_frames_asked(synthetic_clip, private_tmp):
    data = synthetic_clip("seven.mp4", 7, height=120, width=160).read_bytes()
    sampled = assert_sample_upload("seven.mp4", data, private_tmp, SamplingConfig(num_frames=16, size=(120, 160), geometry="stretch"))
    assert sampled.indices.tolist() == list(range(7)) + [-1] * 9
    assert [read_index(frame) for frame in sampled.frames[:7]] == list(range(7))
    assert sampled.mask.tolist() == [True] * 7 + [False] * 9


@pytest.fixture(scope="session")
def clip_4k(synthetic_clip):
    return synthetic_clip("uhd.mp4", 3, height=2160, width=3840, output_params=["-preset", "ultrafast"])


def test_bad_4k_clip_is_downscaled_right_after_decoding(clip_4k, monkeypatch, private_tmp):
    info = probe(clip_4k)
    assert (info.width, info.height, info.frame_count) == (3840, 2160, 3)
    seen = []
    real_to_rgb = video.to_rgb
    monkeypatch.setattr(video, "to_rgb", lambda frame: seen.append(frame.shape) or real_to_rgb(frame))
    sampled = sample_frames(clip_4k, SamplingConfig(num_frames=3, size=224))
    assert sampled.frames.shape == (3, 224, 224, 3)
    assert seen and all(max(shape[:2]) <= video.MAX_DECODED_SIDE for shape in seen)
    frames = read_frames(clip_4k, [0, 2])
    assert frames[2].shape == (720, 1280, 3)
    assert read_index(frames[2]) == 2
    uploaded = assert_sample_upload("uhd.mp4", clip_4k.read_bytes(), private_tmp, SamplingConfig(num_frames=2, size=112))
    assert uploaded.frames.shape == (2, 112, 112, 3)


def test_bad_ten_minute_clip_sampled_exactly(synthetic_clip, private_tmp):
    path = synthetic_clip("ten_minutes.mp4", 15000, fps=25, height=120, width=160)
    info = probe(path)
    assert (info.frame_count, info.duration_seconds) == (15000, 600.0)
    config = SamplingConfig(num_frames=16, size=(120, 160), geometry="stretch")
    sampled = sample_frames(path, config, info)
    assert [read_index(frame) for frame in sampled.frames] == uniform_indices(15000, 16).tolist()
    uploaded = assert_sample_upload("long.mp4", path.read_bytes(), private_tmp, config)
    assert uploaded.indices.tolist() == sampled.indices.tolist()
    assert np.array_equal(uploaded.frames, sampled.frames)


def test_bad_portrait_clip_with_rotation_tag(synthetic_clip, private_tmp):
    path = synthetic_clip("portrait.mp4", 12, height=240, width=320, rotation=90)
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (240, 320, 90)
    frames = read_frames(path, [0, 5, 11])
    assert all(frame.shape == (320, 240, 3) for frame in frames.values())  # upright: taller than wide
    # turned 90° clockwise for display: turning back counter-clockwise restores the written frame
    assert {index: read_index(np.rot90(frame, 1)) for index, frame in frames.items()} == {0: 0, 5: 5, 11: 11}
    config = SamplingConfig(num_frames=4, size=(320, 240), geometry="stretch")
    sampled = assert_sample_upload("portrait.mp4", path.read_bytes(), private_tmp, config)
    assert sampled.info.rotation == 90
    assert [read_index(np.rot90(frame, 1)) for frame in sampled.frames] == sampled.indices.tolist()


def test_bad_grayscale_clip_comes_back_rgb(synthetic_clip, private_tmp):
    path = synthetic_clip("gray.mkv", 20, height=120, width=160, codec="ffv1", gray=True)
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    assert int(capture.get(cv2.CAP_PROP_CODEC_PIXEL_FORMAT)) == int.from_bytes(b"Y800", "little")  # really gray
    capture.release()
    info = probe(path)
    assert info.frame_count == 20 and info.codec == "FFV1"
    config = SamplingConfig(num_frames=5, size=(120, 160), geometry="stretch")
    sampled = assert_sample_upload("gray.mkv", path.read_bytes(), private_tmp, config)
    assert sampled.frames.shape == (5, 120, 160, 3)
    assert [read_index(frame) for frame in sampled.frames] == sampled.indices.tolist()
    channels = sampled.frames.astype(int)
    assert (channels[..., 0] == channels[..., 1]).all() and (channels[..., 1] == channels[..., 2]).all()


def test_bad_unknown_extension(synthetic_clip, private_tmp):
    data = synthetic_clip("small.mp4", 10, height=60, width=80).read_bytes()
    message = assert_bad_upload("notes.txt", data, private_tmp)
    assert "notes.txt" in message and ".txt" in message
    with pytest.raises(BadInputError):
        probe(synthetic_clip("small.mp4", 10, height=60, width=80).with_suffix(".txt"))


def test_bad_gif_of_a_thousand_frames(synthetic_clip, private_tmp):
    path = synthetic_clip("thousand.gif", 1000, fps=25, height=60, width=80, codec="gif")
    info = probe(path)
    assert (info.frame_count, info.codec, info.width, info.height) == (1000, "GIF", 80, 60)
    config = SamplingConfig(num_frames=16, size=(60, 80), geometry="stretch")
    sampled = assert_sample_upload("thousand.gif", path.read_bytes(), private_tmp, config)
    assert sampled.indices.tolist() == uniform_indices(1000, 16).tolist()
    assert [read_index(frame) for frame in sampled.frames] == sampled.indices.tolist()


def test_bad_input_messages_never_span_lines(tmp_path):
    odd = tmp_path / "two\nlines.mp4"
    odd.write_bytes(b"")
    with pytest.raises(BadInputError) as raised:
        probe(odd)
    assert "\n" not in str(raised.value)
    with pytest.raises(BadInputError) as raised:
        probe(tmp_path / "missing.mp4")
    assert "missing.mp4" in str(raised.value)


def test_temp_file_name_check_happens_before_writing(private_tmp):
    with pytest.raises(BadInputError):
        with Clip.from_bytes("archive.zip", b"PK").local_path():
            pass  # pragma: no cover - never reached
    assert os.listdir(private_tmp) == []
