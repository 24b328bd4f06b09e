"""Frame encoders: shapes, dtypes, determinism on real frames, MoViNet streaming features,
combined encoders, and InceptionV3 weight plumbing."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

from tests.conftest import require_asset
from vidclass.encoders import (
    ENCODER_DIMENSIONS,
    MOBILENET_V1_PATH,
    InceptionV3Encoder,
    available_encoders,
    encoder_names,
    load_encoder,
)
from vidclass.movinet import MODEL_PATH as MOVINET_PATH
from vidclass.training import encode_views
from vidclass.errors import BadInputError
from vidclass.sampling import SamplingConfig, sample_frames

UCF = "data/ucf101/train"
CLASSES = ("Archery", "BalanceBeam", "Fencing")


@pytest.fixture(scope="module")
def real_frames(shared_home):
    """Four uniformly sampled 224×224 frames from the first clip of three classes."""
    frames = {}
    for name in CLASSES:
        folder = require_asset(shared_home, f"{UCF}/{name}")
        clip = sorted(folder.glob("*.mp4"))[0]
        frames[name] = sample_frames(clip, SamplingConfig(num_frames=4, size=224)).frames
    return frames


def _cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_registry_names_and_unknown_encoder():
    assert encoder_names() == ["mobilenet_v2", "mobilenet_v1", "inception_v3", "movinet_a0", "mobilenet_v2+movinet_a0"]
    for name in ("resnet", "mobilenet_v2+resnet", "movinet_a0+movinet_a0"):
        with pytest.raises(BadInputError, match=re.escape(f"Unknown encoder '{name}'")):
            load_encoder(name)


def test_available_encoders_are_the_ones_whose_files_are_here(shared_home):
    require_asset(shared_home, MOVINET_PATH)
    # No InceptionV3 weights here; the combination is offered because both its parts are.
    assert available_encoders() == ["mobilenet_v2", "mobilenet_v1", "movinet_a0", "mobilenet_v2+movinet_a0"]


def test_mobilenet_v2_gives_deterministic_1280_d_float_features(mobilenet_v2, real_frames):
    frames = real_frames["Archery"]
    first = mobilenet_v2.encode(frames)
    again = mobilenet_v2.encode(frames)
    assert mobilenet_v2.dimension == ENCODER_DIMENSIONS["mobilenet_v2"] == 1280
    assert first.shape == (4, 1280) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    # Pre-logits of a ReLU6 network, dequantized: in [0, 6], mostly non-zero.
    assert first.min() >= 0.0 and first.max() <= 6.01
    assert (first > 0).mean() > 0.3
    # One call per frame gives the same vectors as the whole clip at once.
    np.testing.assert_allclose(mobilenet_v2.encode_per_frame(frames), first)


def test_mobilenet_v2_frames_of_one_clip_are_closer_than_across_classes(mobilenet_v2, real_frames):
    encoded = {name: mobilenet_v2.encode(frames) for name, frames in real_frames.items()}
    within = [_cosine(vectors[0], vectors[1]) for vectors in encoded.values()]
    across = [
        _cosine(encoded[a][0], encoded[b][0]) for i, a in enumerate(CLASSES) for b in CLASSES[i + 1 :]
    ]
    assert min(within) > max(across)


def test_mobilenet_v1_gives_deterministic_1024_d_features(shared_home, real_frames):
    require_asset(shared_home, MOBILENET_V1_PATH)
    encoder = load_encoder("mobilenet_v1")
    features = encoder.encode(real_frames["Fencing"])
    assert features.shape == (4, 1024) and features.dtype == np.float32
    np.testing.assert_array_equal(features, encoder.encode(real_frames["Fencing"]))
    assert features.max() > 0


@pytest.fixture(scope="module")
def movinet_a0(shared_home):
    require_asset(shared_home, MOVINET_PATH)
    return load_encoder("movinet_a0")


def test_movinet_a0_features_are_the_streaming_logits_of_the_clip_so_far(movinet_a0, shared_home):
    """Row t = MoViNet's Kinetics-600 logits after frames 0..t: the last row is the
    classifier's own answer for the clip, and every call starts a fresh clip."""
    from vidclass.movinet import load_classifier

    clip = sorted(require_asset(shared_home, f"{UCF}/Archery").glob("*.mp4"))[0]
    frames = sample_frames(clip, SamplingConfig(num_frames=8, size=172)).frames
    features = movinet_a0.encode(frames)
    assert movinet_a0.streaming and movinet_a0.input_size == 172
    assert features.shape == (8, 600) and features.dtype == np.float32
    assert features.shape[1] == ENCODER_DIMENSIONS["movinet_a0"]
    np.testing.assert_allclose(features, load_classifier().stream_logits(frames), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(movinet_a0.encode(frames), features)  # state reset per call
    # Streaming: frame 4's features depend on the frames before it.
    assert not np.allclose(movinet_a0.encode(frames[4:5])[0], features[4], atol=1e-3)


def test_streaming_encoder_encodes_each_spatial_view_as_its_own_clip(movinet_a0, shared_home):
    clip = sorted(require_asset(shared_home, f"{UCF}/Fencing").glob("*.mp4"))[0]
    wide = sample_frames(clip, SamplingConfig(num_frames=5, size=(172, 229))).frames
    by_view = encode_views(movinet_a0, wide, 3)
    assert by_view.shape == (3, 5, 600)
    np.testing.assert_allclose(by_view[2], movinet_a0.encode(np.ascontiguousarray(wide[:, :, -172:])), atol=1e-5)


def test_combined_encoder_concatenates_its_parts_at_their_own_sizes(mobilenet_v2, movinet_a0, real_frames):
    from vidclass.sampling import fit_frame

    combined = load_encoder("mobilenet_v2+movinet_a0")
    assert load_encoder("mobilenet_v2+movinet_a0") is combined
    assert combined.name == "mobilenet_v2+movinet_a0"
    assert (combined.dimension, combined.input_size, combined.streaming) == (1880, 224, True)
    frames = real_frames["Archery"]
    features = combined.encode(frames)
    assert features.shape == (4, 1880) and features.dtype == np.float32
    np.testing.assert_array_equal(features[:, :1280], mobilenet_v2.encode(frames))
    small = np.stack([fit_frame(frame, 172, 172, "stretch") for frame in frames])
    np.testing.assert_allclose(features[:, 1280:], movinet_a0.encode(small), atol=1e-5)


def test_encoders_refuse_wrong_frames(mobilenet_v2):
    with pytest.raises(ValueError, match=r"\[T, 224, 224, 3\]"):
        mobilenet_v2.encode(np.zeros((2, 100, 100, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        mobilenet_v2.encode(np.zeros((2, 224, 224, 3), dtype=np.float32))
    assert mobilenet_v2.encode(np.zeros((0, 224, 224, 3), dtype=np.uint8)).shape == (0, 1280)


def test_one_encoder_serves_several_threads(mobilenet_v2, real_frames):
    frames = real_frames["BalanceBeam"][:2]
    expected = mobilenet_v2.encode(frames)
    results = [None] * 4

    def work(slot):
        results[slot] = mobilenet_v2.encode(frames)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_inception_v3_loads_a_local_weights_file_from_the_store(tmp_path, monkeypatch):
    """Plumbing only: random weights the test makes, found in models/inception_v3/ of the cache."""
    import keras

    monkeypatch.setenv("VIDCLASS_CACHE", str(tmp_path))
    reference = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None, input_shape=(75, 75, 3))
    folder = tmp_path / "models" / "inception_v3"
    folder.mkdir(parents=True)
    reference.save_weights(folder / "random.weights.h5")

    encoder = InceptionV3Encoder(input_size=75)
    assert encoder.weights_source.endswith("random.weights.h5")
    frames = np.random.default_rng(0).integers(0, 256, size=(3, 75, 75, 3), dtype=np.uint8)
    features = encoder.encode(frames)
    assert features.shape == (3, 2048) and features.dtype == np.float32
    expected = reference.predict(frames.astype(np.float32) / 127.5 - 1.0, verbose=0)
    np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-5)
    # One batched call gives what the Keras example's one-frame-at-a-time loop gives.
    np.testing.assert_allclose(encoder.encode_per_frame(frames), features, rtol=1e-4, atol=1e-4)


def test_inception_v3_rejects_a_file_that_is_not_its_weights(tmp_path):
    bad = tmp_path / "bad.weights.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(BadInputError, match="bad.weights.h5"):
        InceptionV3Encoder(weights=bad, input_size=75)
    with pytest.raises(BadInputError, match="does not exist"):
        InceptionV3Encoder(weights=tmp_path / "missing.weights.h5", input_size=75)


def test_input_size_of_needs_no_model_and_takes_the_largest_part():
    from vidclass.encoders import input_size_of

    assert input_size_of("movinet_a0") == 172 and input_size_of("inception_v3") == 299
    assert input_size_of("mobilenet_v2+movinet_a0") == 224
    with pytest.raises(BadInputError, match="Unknown encoder"):
        input_size_of("resnet")
