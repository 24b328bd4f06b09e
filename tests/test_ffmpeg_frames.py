"""Frames of clips OpenCV cannot decode (AV1), read through imageio-ffmpeg's ffmpeg."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

import vidclass.video as video
from vidclass import ffmpeg_frames
from vidclass.errors import BadInputError
from vidclass.sampling import SamplingConfig, sample_frames, uniform_indices
from vidclass.synthetic import AV1_ENCODER_OPTIONS, read_index, run_ffmpeg
from vidclass.video import Clip, count_frames, iter_frames, probe, read_frames

AV1 = {"codec": "libsvtav1", "output_params": list(AV1_ENCODER_OPTIONS)}


def ffmpeg_children() -> list[int]:
    """Process ids of running ffmpeg processes started by this test process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and name.startswith("ffmpeg") and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def test_opencv_opens_av1_but_cannot_decode_it(synthetic_clip):
    """Why the module exists: OpenCV reads the header of an AV1 clip, then no frame decodes."""
    path = synthetic_clip("av1.mp4", 40, height=120, width=160, **AV1)
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        assert capture.isOpened() and capture.get(cv2.CAP_PROP_FRAME_COUNT) == 40
        assert not capture.read()[0]
    finally:
        capture.release()


def test_av1_clip_probed_and_read_exactly(synthetic_clip):
    path = synthetic_clip("av1.mp4", 40, height=120, width=160, **AV1)
    info = probe(path)
    assert (info.frame_count, info.width, info.height, info.codec, info.fps) == (40, 160, 120, "AV01", 25.0)
    assert "AV1" in info.describe()
    wanted = [39, 3, 3, 20, 0, 500]  # any order, a duplicate, one past the end
    frames = read_frames(path, wanted)
    assert {index: read_index(frame) for index, frame in frames.items()} == {0: 0, 3: 3, 20: 20, 39: 39}
    assert all(frame.shape == (120, 160, 3) and frame.dtype == np.uint8 and frame.flags.writeable for frame in frames.values())
    assert [(index, read_index(frame)) for index, frame in iter_frames(path, start=30, stop=33)] == [(30, 30), (31, 31), (32, 32)]
    assert count_frames(path) == 40


def test_av1_in_matroska_counts_frames_that_decode_not_the_header(synthetic_clip, tmp_path):
    """Matroska states a count from the duration: with a late first frame (a clip cut
    from a longer one) it overstates; the decoded count wins."""
    source = synthetic_clip("av1.mp4", 30, fps=10, height=120, width=160, **AV1)
    path = tmp_path / "late_start.mkv"
    run_ffmpeg("-itsoffset", "0.25", "-i", str(source), "-c", "copy", str(path))
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    stated = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    capture.release()
    assert stated != 30
    assert probe(path).frame_count == 30


def test_av1_upload_samples_exactly_and_leaves_no_temp_file(synthetic_clip, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data = synthetic_clip("av1.mp4", 40, height=120, width=160, **AV1).read_bytes()
    with Clip.from_bytes("phone clip.mp4", data).local_path() as path:
        sampled = sample_frames(path, SamplingConfig(num_frames=8, size=(120, 160), geometry="stretch"))
    assert sampled.mask.all() and sampled.indices.tolist() == uniform_indices(40, 8).tolist()
    assert [read_index(frame) for frame in sampled.frames] == sampled.indices.tolist()
    assert list(tmp_path.glob("vidclass-*")) == []
    assert ffmpeg_children() == []


def test_av1_portrait_clip_comes_upright(synthetic_clip):
    path = synthetic_clip("portrait_av1.mp4", 12, height=240, width=320, rotation=90, **AV1)
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (240, 320, 90)
    frames = read_frames(path, [0, 11])
    assert all(frame.shape == (320, 240, 3) for frame in frames.values())
    assert {index: read_index(np.rot90(frame, 1)) for index, frame in frames.items()} == {0: 0, 11: 11}


def test_av1_4k_frames_are_shrunk_before_the_pipe(synthetic_clip, monkeypatch):
    path = synthetic_clip("uhd_av1.mp4", 2, height=2160, width=3840, **AV1)
    assert (probe(path).width, probe(path).height) == (3840, 2160)
    sizes = []
    real_stream = ffmpeg_frames.frame_stream

    def recording_stream(source, max_side=None, only=None, seek_seconds=None):
        for frame in real_stream(source, max_side, only, seek_seconds):
            sizes.append(frame.shape)
            yield frame

    monkeypatch.setattr(ffmpeg_frames, "frame_stream", recording_stream)
    frames = read_frames(path, [1])
    assert frames[1].shape == (720, 1280, 3) and read_index(frames[1]) == 1
    assert sizes == [(720, 1280, 3)]  # frame 0 was decoded but never piped


def test_only_the_wanted_frames_cross_the_pipe(synthetic_clip):
    path = synthetic_clip("av1.mp4", 40, height=120, width=160, **AV1)
    piped = list(ffmpeg_frames.frame_stream(path, only=[2, 17, 39, 45]))
    assert [read_index(frame) for frame in piped] == [2, 17, 39]  # 45 is past the end
    assert len(list(ffmpeg_frames.frame_stream(path))) == 40
    assert list(ffmpeg_frames.frame_stream(path, only=[])) == []


def test_many_wanted_frames_are_picked_without_the_filter(synthetic_clip, monkeypatch):
    path = synthetic_clip("av1.mp4", 40, height=120, width=160, **AV1)
    monkeypatch.setattr(ffmpeg_frames, "SELECT_FILTER_MAX_FRAMES", 2)
    piped = list(ffmpeg_frames.frame_stream(path, only=[30, 4, 17, 4]))
    assert [read_index(frame) for frame in piped] == [4, 17, 30]
    assert ffmpeg_children() == []


def test_ffmpeg_path_gives_the_frames_opencv_gives(synthetic_clip, monkeypatch):
    """The same H.264 clip read both ways: same indices, sizes and (within rounding) colours."""
    path = synthetic_clip("both_ways.mp4", 30, height=120, width=160)
    wanted = [0, 7, 29]
    by_opencv = read_frames(path, wanted)
    monkeypatch.setattr(ffmpeg_frames, "FFMPEG_ONLY_CODECS", frozenset({"H264"}))
    by_ffmpeg = read_frames(path, wanted)
    assert sorted(by_ffmpeg) == sorted(by_opencv) == wanted
    for index in wanted:
        difference = np.abs(by_ffmpeg[index].astype(int) - by_opencv[index].astype(int))
        assert by_ffmpeg[index].shape == by_opencv[index].shape and difference.mean() < 1.0 and difference.max() <= 4


@pytest.fixture(scope="module")
def long_av1_video(tmp_path_factory):
    """A 29.97 fps AV1 clip of 400 index frames of 160×120 (a keyframe every 50), in Matroska."""
    from vidclass.synthetic import write_clip

    folder = tmp_path_factory.mktemp("long_av1")
    return write_clip(folder / "video.mkv", 400, fps=30000 / 1001, height=120, width=160, codec="libsvtav1",
                      output_params=AV1["output_params"] + ["-g", "50"])  # fmt: skip


@pytest.fixture(scope="module")
def long_av1_clip(long_av1_video):
    """``long_av1_video`` starting 0.3 s after an AAC audio track, as an edited export does;
    both streams in one MP4."""
    path = long_av1_video.with_name("late_video.mp4")
    run_ffmpeg("-itsoffset", "0.3", "-i", str(long_av1_video), "-f", "lavfi", "-i", "sine=duration=14",
           "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", str(path))  # fmt: skip
    return path


@pytest.fixture
def clips_count_as_long(monkeypatch):
    """400 frames of 160×120 count as a long clip: its header is checked with seeks at the
    end, and far frames are sought (more than 60 frames away)."""
    monkeypatch.setattr(video, "EXACT_COUNT_PIXEL_FRAMES", 1_000)
    monkeypatch.setattr(video, "FFMPEG_SEEK_GAP_FRAMES", 60)


def recorded_streams(monkeypatch) -> list[tuple]:
    """Record each ``frame_stream`` call's ``(only, seek_seconds)`` (the real stream runs)."""
    calls = []
    real_stream = ffmpeg_frames.frame_stream

    def recording_stream(source, max_side=None, only=None, seek_seconds=None):
        calls.append((None if only is None else list(only), seek_seconds))
        yield from real_stream(source, max_side, only, seek_seconds)

    monkeypatch.setattr(ffmpeg_frames, "frame_stream", recording_stream)
    return calls


def test_first_frame_seconds_is_the_video_start_delay(long_av1_clip, synthetic_clip, tmp_path):
    assert ffmpeg_frames.first_frame_seconds(long_av1_clip) == pytest.approx(0.3, abs=0.002)
    assert ffmpeg_frames.first_frame_seconds(synthetic_clip("av1.mp4", 40, height=120, width=160, **AV1)) == 0.0
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"not a video at all" * 100)
    assert ffmpeg_frames.first_frame_seconds(fake) == 0.0


def test_long_av1_clip_seeks_to_far_frames_and_lands_exactly(long_av1_clip, clips_count_as_long, monkeypatch):
    """Far frames of a long clip come from ffmpeg input seeks (one process per run of
    nearby frames), aimed past the 0.3 s video delay and between frames, so each lands
    on the exact frame at 29.97 fps."""
    assert probe(long_av1_clip).frame_count == 400
    calls = recorded_streams(monkeypatch)
    wanted = [0, 5, 150, 151, 190, 320, 399, 450]  # 450: past the end
    frames = read_frames(long_av1_clip, wanted)
    assert {index: read_index(frame) for index, frame in frames.items()} == {i: i for i in wanted if i < 400}
    fps = 30000 / 1001
    assert [only for only, _ in calls] == [[0, 5], [0, 1, 40], [0], [0, 51]]  # 450 is within 60 of 399
    assert calls[0][1] is None
    for (_, seek), first in zip(calls[1:], [150, 320, 399]):
        assert seek == pytest.approx(0.3 + (first - 0.5) / fps, abs=0.002)
    assert ffmpeg_children() == []

    calls.clear()
    assert [(i, read_index(frame)) for i, frame in iter_frames(long_av1_clip, start=300, stop=303)] == [
        (300, 300), (301, 301), (302, 302)]  # fmt: skip
    assert calls[0][1] == pytest.approx(0.3 + 299.5 / fps, abs=0.002)


def test_long_av1_webm_whose_sound_outlasts_the_picture_is_counted_right(long_av1_video, clips_count_as_long):
    """WebM states a frame count from its duration, which a longer audio track stretches:
    the count is checked with seeks at the end, and uniform sampling lands on real frames."""
    path = long_av1_video.with_name("long_sound.webm")
    run_ffmpeg("-i", str(long_av1_video), "-f", "lavfi", "-i", "sine=duration=15", "-map", "0:v", "-map", "1:a",
           "-c:v", "copy", "-c:a", "libopus", str(path))  # fmt: skip
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    stated = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    capture.release()
    assert stated > 420
    assert probe(path).frame_count == 400
    sampled = sample_frames(path, SamplingConfig("uniform", 8, (120, 160), "stretch"))
    assert sampled.indices.tolist() == uniform_indices(400, 8).tolist()
    assert [read_index(frame) for frame in sampled.frames] == sampled.indices.tolist()


def test_truncated_long_av1_clip_counts_the_frames_that_decode(long_av1_video, clips_count_as_long, tmp_path):
    """Cut short, a long Matroska clip still states 400 frames: a binary search with seeks
    finds the last one that decodes, without decoding the whole clip."""
    data = long_av1_video.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) * 2 // 5])
    decoded = count_frames(cut)
    assert 50 < decoded < 300
    assert probe(cut).frame_count == decoded


def test_hundreds_of_wanted_frames_go_through_the_select_filter(long_av1_video):
    """MoViNet samples up to 300 frames: ffmpeg rejects a flat select expression of more
    than about 100 terms ("Cannot allocate memory"), so the expression is a binary search."""
    wanted = list(range(0, 400, 2))[:180] + [399]
    assert len(wanted) <= ffmpeg_frames.SELECT_FILTER_MAX_FRAMES
    assert [read_index(frame) for frame in ffmpeg_frames.frame_stream(long_av1_video, only=wanted)] == wanted
    sampled = sample_frames(long_av1_video, SamplingConfig("uniform", 300, (120, 160), "stretch"))
    assert [read_index(frame) for frame in sampled.frames] == sampled.indices.tolist() == uniform_indices(400, 300).tolist()


def test_small_av1_clip_is_never_sought_in(synthetic_clip, monkeypatch):
    """A small clip is decoded forward from frame 0 in one ffmpeg run, as OpenCV reads one."""
    path = synthetic_clip("av1.mp4", 40, height=120, width=160, **AV1)
    monkeypatch.setattr(video, "FFMPEG_SEEK_GAP_FRAMES", 2)
    calls = recorded_streams(monkeypatch)
    assert sorted(read_frames(path, [1, 20, 39])) == [1, 20, 39]
    assert calls == [([1, 20, 39], None)]


def test_stopping_early_ends_the_ffmpeg_process(synthetic_clip):
    path = synthetic_clip("av1_long.mp4", 200, height=120, width=160, **AV1)
    stream = ffmpeg_frames.frame_stream(path)
    next(stream)
    assert ffmpeg_children()  # ffmpeg is decoding ahead into the pipe
    stream.close()
    assert ffmpeg_children() == []
    assert sorted(read_frames(path, [2])) == [2] and ffmpeg_children() == []


def test_truncated_av1_clip_reads_what_is_there(synthetic_clip, tmp_path):
    data = synthetic_clip("av1_cut.mkv", 60, height=120, width=160, **AV1).read_bytes()
    half = tmp_path / "half.mkv"
    half.write_bytes(data[: len(data) // 2])
    info = probe(half)
    assert 5 <= info.frame_count < 60
    frames = read_frames(half, range(info.frame_count))
    assert [read_index(frames[i]) for i in sorted(frames)] == list(range(info.frame_count))


def test_not_a_video_is_a_one_line_error(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"not a video at all" * 100)
    with pytest.raises(ffmpeg_frames.FfmpegDecodeError) as raised:
        next(ffmpeg_frames.frame_stream(fake))
    assert str(raised.value) and "\n" not in str(raised.value)
    with pytest.raises(BadInputError):
        probe(fake)
    assert ffmpeg_children() == []

