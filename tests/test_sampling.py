"""Sampling strategies (exact indices), geometry, padding/masks and the O(frames kept) promise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import vidclass.sampling as sampling
import vidclass.video as video
from vidclass.sampling import (
    SamplingConfig,
    fit_frame,
    first_indices,
    fps_indices,
    sample_frames,
    sliding_windows,
    step_indices,
    uniform_indices,
)
from vidclass.synthetic import read_index
from vidclass.video import probe

HEIGHT, WIDTH = 120, 160
EXACT = dict(size=(HEIGHT, WIDTH), geometry="stretch")  # frames come back at the written size


@pytest.fixture(scope="session")
def clip_100(synthetic_clip):
    return synthetic_clip("hundred.mp4", 100, height=HEIGHT, width=WIDTH)


@pytest.fixture(scope="session")
def clip_5(synthetic_clip):
    return synthetic_clip("five.mp4", 5, height=HEIGHT, width=WIDTH)


@pytest.fixture(scope="session")
def clip_30fps(synthetic_clip):
    return synthetic_clip("thirty_fps.mp4", 90, fps=30, height=HEIGHT, width=WIDTH)


@pytest.fixture(scope="session")
def ten_minute_clip(synthetic_clip):
    """15,000 frames at 25 fps, 160×120: a 10-minute clip."""
    return synthetic_clip("ten_minutes.mp4", 15000, fps=25, height=HEIGHT, width=WIDTH)


def carried_indices(sampled) -> list[int]:
    return [read_index(frame) if real else -1 for frame, real in zip(sampled.frames, sampled.mask)]


# --- strategy functions --------------------------------------------------------------


def test_uniform_takes_segment_centres():
    assert uniform_indices(100, 4).tolist() == [12, 37, 62, 87]
    assert uniform_indices(16, 16).tolist() == list(range(16))
    assert uniform_indices(160, 16).tolist() == list(range(5, 160, 10))


def test_uniform_on_a_short_clip_gives_each_frame_once():
    assert uniform_indices(5, 16).tolist() == [0, 1, 2, 3, 4]
    assert uniform_indices(0, 16).tolist() == []


def test_step_from_start():
    assert step_indices(100, 4, step=15).tolist() == [0, 15, 30, 45]
    assert step_indices(100, 4, step=15, start=10).tolist() == [10, 25, 40, 55]
    assert step_indices(50, 4, step=15, start=10).tolist() == [10, 25, 40]  # runs off the end: fewer


def test_step_random_start_is_seeded_and_stays_in_range():
    starts = set()
    for seed in range(40):
        picked = step_indices(100, 5, step=10, random_start=True, rng=np.random.default_rng(seed))
        assert len(picked) == 5
        assert picked.min() >= 0 and picked.max() <= 99
        assert np.all(np.diff(picked) == 10)
        starts.add(int(picked[0]))
    assert starts <= set(range(0, 60)) and len(starts) > 5  # start drawn from [0, 100-41]
    again = step_indices(100, 5, step=10, random_start=True, rng=np.random.default_rng(7))
    assert again.tolist() == step_indices(100, 5, step=10, random_start=True, rng=np.random.default_rng(7)).tolist()


def test_step_random_start_on_a_short_clip_starts_at_zero():
    picked = step_indices(20, 5, step=10, random_start=True, rng=np.random.default_rng(0))
    assert picked.tolist() == [0, 10]


def test_step_rejects_bad_arguments():
    with pytest.raises(ValueError):
        step_indices(100, 4, step=0)
    with pytest.raises(ValueError):
        step_indices(100, 4, start=-1)


def test_first():
    assert first_indices(100, 3).tolist() == [0, 1, 2]
    assert first_indices(2, 3).tolist() == [0, 1]


def test_fps_30_to_5_takes_every_sixth_frame():
    assert fps_indices(60, 30, 5).tolist() == [0, 6, 12, 18, 24, 30, 36, 42, 48, 54]


def test_fps_at_or_above_source_keeps_every_frame():
    assert fps_indices(10, 25, 25).tolist() == list(range(10))
    assert fps_indices(10, 25, 60).tolist() == list(range(10))


def test_fps_cap_keeps_an_even_subset():
    full = fps_indices(300, 30, 5)
    assert len(full) == 50
    capped = fps_indices(300, 30, 5, max_frames=10)
    assert capped.tolist() == full[uniform_indices(50, 10)].tolist()
    assert capped.tolist() == [12, 42, 72, 102, 132, 162, 192, 222, 252, 282]


def test_fps_rejects_non_positive_rates():
    with pytest.raises(ValueError):
        fps_indices(10, 0, 5)
    with pytest.raises(ValueError):
        fps_indices(10, 25, 0)


def test_sliding_windows_cap_keeps_an_even_subset():
    capped = sliding_windows(1000, 16, 8, max_windows=4)
    all_starts = sliding_windows(1000, 16, 8)[:, 0]
    assert len(all_starts) == 124  # starts 0, 8, …, 984
    assert capped[:, 0].tolist() == all_starts[uniform_indices(124, 4)].tolist() == [120, 368, 616, 864]
    assert (np.diff(capped, axis=1) == 1).all()
    assert sliding_windows(1000, 16, 8, max_windows=500).shape == (124, 16)


def test_sliding_windows():
    assert sliding_windows(10, 4, 3).tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    assert sliding_windows(3, 4, 2).tolist() == [[0, 1, 2, -1]]  # shorter than a window: padded
    assert sliding_windows(0, 4, 2).shape == (0, 4)
    assert sliding_windows(12, 4, 4).tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert sliding_windows(13, 4, 4)[-1].tolist() == [8, 9, 10, 11]  # frame 12: no full window
    with pytest.raises(ValueError):
        sliding_windows(10, 4, 0)


# --- config --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        dict(strategy="random"),
        dict(geometry="squash"),
        dict(num_frames=0),
        dict(size=0),
        dict(size=(224, 5000)),
        dict(step=0),
        dict(stride=0),
        dict(start=-1),
        dict(strategy="fps", target_fps=0),
        dict(strategy="fps", num_frames=-1),
        dict(strategy="sliding", max_windows=-1),
    ],
)
def test_config_rejects_misuse(changes):
    with pytest.raises(ValueError):
        SamplingConfig(**changes)


def test_config_key_changes_with_every_output_field():
    base = SamplingConfig()
    keys = {base.key()}
    changes_list = [dict(num_frames=8), dict(size=112), dict(geometry="pad"), dict(strategy="first"), dict(seed=3), dict(max_windows=8)]
    for changes in changes_list:
        keys.add(base.with_changes(**changes).key())
    assert len(keys) == 1 + len(changes_list)
    assert SamplingConfig(size=(120, 160)).output_shape == (120, 160)


# --- sampling real files ---------------------------------------------------------------


def test_uniform_sampling_is_exact(clip_100):
    sampled = sample_frames(clip_100, SamplingConfig(strategy="uniform", num_frames=4, **EXACT))
    assert sampled.indices.tolist() == [12, 37, 62, 87]
    assert carried_indices(sampled) == [12, 37, 62, 87]
    assert sampled.frames.shape == (4, HEIGHT, WIDTH, 3) and sampled.frames.dtype == np.uint8
    assert sampled.mask.all()
    assert np.allclose(sampled.timestamps, np.array([12, 37, 62, 87]) / 25.0)


def test_step_sampling_is_exact(clip_100):
    sampled = sample_frames(clip_100, SamplingConfig(strategy="step", num_frames=5, step=7, start=3, **EXACT))
    assert carried_indices(sampled) == sampled.indices.tolist() == [3, 10, 17, 24, 31]


def test_step_random_start_sampling_is_reproducible(clip_100):
    config = SamplingConfig(strategy="step", num_frames=4, step=10, random_start=True, seed=11, **EXACT)
    first, second = sample_frames(clip_100, config), sample_frames(clip_100, config)
    assert first.indices.tolist() == second.indices.tolist()
    assert carried_indices(first) == first.indices.tolist()
    assert 0 <= first.indices[0] <= 100 - 31


def test_first_sampling_is_exact(clip_100):
    sampled = sample_frames(clip_100, SamplingConfig(strategy="first", num_frames=6, **EXACT))
    assert carried_indices(sampled) == list(range(6))


def test_fps_sampling_30_to_5(clip_30fps):
    sampled = sample_frames(clip_30fps, SamplingConfig(strategy="fps", target_fps=5, num_frames=0, **EXACT))
    assert sampled.indices.tolist() == list(range(0, 90, 6))
    assert carried_indices(sampled) == list(range(0, 90, 6))
    assert np.allclose(np.diff(sampled.timestamps), 0.2)


def test_sliding_sampling_shares_frames_between_windows(clip_100):
    sampled = sample_frames(clip_100, SamplingConfig(strategy="sliding", num_frames=40, stride=30, **EXACT))
    assert sampled.indices.tolist() == list(range(100))  # windows 0-39, 30-69, 60-99
    assert sampled.windows.shape == (3, 40)
    for window in sampled.windows:
        carried = [read_index(sampled.frames[position]) for position in window]
        assert carried == list(range(window[0], window[0] + 40))


def test_sliding_sampling_of_the_ten_minute_clip_is_capped(ten_minute_clip):
    config = SamplingConfig(strategy="sliding", num_frames=4, stride=2, max_windows=3, size=(HEIGHT, WIDTH), geometry="stretch")
    sampled = sample_frames(ten_minute_clip, config)
    assert sampled.frames.shape == (12, HEIGHT, WIDTH, 3)
    starts = sliding_windows(15000, 4, 2, max_windows=3)[:, 0]
    for window, start in zip(sampled.windows, starts):
        assert [read_index(sampled.frames[position]) for position in window] == list(range(start, start + 4))


def test_sampling_recovers_when_the_frame_count_was_overstated(clip_100):
    """A container claiming more frames than decode (AVI headers, damaged files): resample the real ones."""
    claimed = replace(probe(clip_100), frame_count=160)
    sampled = sample_frames(clip_100, SamplingConfig(num_frames=4, **EXACT), claimed)
    assert sampled.info.frame_count == 100
    assert sampled.indices.tolist() == [12, 37, 62, 87]
    assert carried_indices(sampled) == [12, 37, 62, 87]


def test_sliding_on_a_clip_shorter_than_a_window_pads(clip_5):
    sampled = sample_frames(clip_5, SamplingConfig(strategy="sliding", num_frames=8, stride=4, **EXACT))
    assert sampled.indices.tolist() == [0, 1, 2, 3, 4, -1, -1, -1]
    assert sampled.windows.tolist() == [list(range(8))]  # every position valid; the last three are padding
    assert not sampled.frames[sampled.windows[0][5:]].any()
    assert carried_indices(sampled)[:5] == [0, 1, 2, 3, 4]


def test_short_clip_is_padded_with_zeros_and_masked(clip_5):
    sampled = sample_frames(clip_5, SamplingConfig(strategy="uniform", num_frames=8, **EXACT))
    assert sampled.indices.tolist() == [0, 1, 2, 3, 4, -1, -1, -1]
    assert sampled.mask.tolist() == [True] * 5 + [False] * 3
    assert carried_indices(sampled)[:5] == [0, 1, 2, 3, 4]  # no repeats, nothing dropped
    assert not sampled.frames[5:].any()
    assert np.isnan(sampled.timestamps[5:]).all()
    assert sampled.num_real == 5


@pytest.mark.parametrize("strategy", ["first", "step"])
def test_short_clip_pads_for_other_strategies(clip_5, strategy):
    sampled = sample_frames(clip_5, SamplingConfig(strategy=strategy, num_frames=4, step=2, **EXACT))
    real = sampled.indices[sampled.mask].tolist()
    assert len(sampled.indices) == 4
    assert real == ([0, 1, 2, 3] if strategy == "first" else [0, 2, 4])
    assert carried_indices(sampled)[: len(real)] == real


def test_sampling_the_ten_minute_clip_is_exact(ten_minute_clip):
    sampled = sample_frames(ten_minute_clip, SamplingConfig(num_frames=16, **EXACT))
    assert sampled.info.frame_count == 15000
    assert sampled.indices.tolist() == uniform_indices(15000, 16).tolist()
    assert carried_indices(sampled) == sampled.indices.tolist()


def test_sampling_the_ten_minute_clip_converts_only_kept_frames(ten_minute_clip, monkeypatch):
    """Memory O(frames kept): only the 16 kept frames are ever turned into arrays."""
    converted, shaped = [], []
    real_to_rgb, real_fit = video.to_rgb, sampling.fit_frame

    def counting_to_rgb(frame):
        converted.append(frame.shape)
        return real_to_rgb(frame)

    def counting_fit(frame, *args, **kwargs):
        shaped.append(frame.shape)
        return real_fit(frame, *args, **kwargs)

    monkeypatch.setattr(video, "to_rgb", counting_to_rgb)
    monkeypatch.setattr(sampling, "fit_frame", counting_fit)
    sampled = sample_frames(ten_minute_clip, SamplingConfig(num_frames=16, size=64))
    assert len(converted) == 16
    assert len(shaped) == 16
    assert sampled.frames.shape == (16, 64, 64, 3)


# --- geometry ------------------------------------------------------------------------


def three_bands(height=100, width=200) -> np.ndarray:
    """Left quarter red, middle half green, right quarter blue."""
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    frame[:, : width // 4, 0] = 255
    frame[:, width // 4 : 3 * width // 4, 1] = 255
    frame[:, 3 * width // 4 :, 2] = 255
    return frame


@pytest.mark.parametrize("geometry", ["crop", "pad", "stretch"])
@pytest.mark.parametrize("height,width", [(64, 64), (50, 80), (90, 30)])
def test_fit_frame_shapes(geometry, height, width):
    out = fit_frame(three_bands(), height, width, geometry)
    assert out.shape == (height, width, 3) and out.dtype == np.uint8


def test_crop_keeps_the_centre():
    out = fit_frame(three_bands(), 50, 50, "crop")  # 100×200 → centre 100×100 = the green band
    assert (out[:, :, 1] == 255).all()
    assert (out[:, :, [0, 2]] == 0).all()


def test_pad_keeps_everything_with_black_borders():
    white = np.full((100, 200, 3), 255, dtype=np.uint8)
    out = fit_frame(white, 100, 100, "pad")  # fits as 50×100, 25 black rows above and below
    assert (out[:25] == 0).all() and (out[75:] == 0).all()
    assert (out[25:75] == 255).all()
    banded = fit_frame(three_bands(), 100, 100, "pad")
    assert banded[50, 5, 0] == 255 and banded[50, 95, 2] == 255  # both edges survive


def test_stretch_keeps_all_bands():
    out = fit_frame(three_bands(), 40, 40, "stretch")
    assert out[20, 2, 0] == 255 and out[20, 20, 1] == 255 and out[20, 38, 2] == 255


def test_fit_frame_rejects_unknown_geometry():
    with pytest.raises(ValueError):
        fit_frame(three_bands(), 10, 10, "squash")


def test_spatial_views_cut_left_centre_right_squares_and_their_mirrors():
    # frames 4 high, 10 wide, every pixel holding its own column number
    frames = np.broadcast_to(np.arange(10, dtype=np.uint8)[None, None, :, None], (2, 4, 10, 3)).copy()
    three = sampling.spatial_views(frames, 3)
    assert three.shape == (3, 2, 4, 4, 3) and three.dtype == np.uint8
    assert [view[0, 0, :, 0].tolist() for view in three] == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    six = sampling.spatial_views(frames, 6)
    np.testing.assert_array_equal(six[:3], three)
    np.testing.assert_array_equal(six[3:], three[:, :, :, ::-1])
    np.testing.assert_array_equal(sampling.spatial_views(frames, 1)[0], three[1])


@pytest.mark.parametrize("views, shape", [(2, (1, 4, 10, 3)), (3, (1, 10, 4, 3)), (3, (4, 10, 3))])
def test_spatial_views_reject_misuse(views, shape):
    with pytest.raises(ValueError):
        sampling.spatial_views(np.zeros(shape, np.uint8), views)


def test_wide_frames_for_views_are_four_by_three():
    assert sampling.wide_frame_shape(224) == (224, 299)
