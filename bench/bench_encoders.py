"""Frame encoders and CNN + GRU training: how fast, against the Keras example's way.

    python bench/bench_encoders.py [--clips 40] [--epochs 40] [--skip-inception]

Prints, for each encoder:
  * encoding the 20 uniformly sampled frames of a real clip in as few calls as the runtime
    allows (``encode``) vs one call per frame, as the Keras CNN-RNN example's loop does
    (``encode_per_frame``) — best of 3, and the ratio;
  * feature-extraction throughput (decode + sample + encode, no cache) in clips/s on
    ``--clips`` UCF101 clips spread over the 11 classes;
then the head's training time (``--epochs`` epochs of the shipped architecture) on
those features.

``movinet_a0`` is a streaming network (each frame's features depend on the frames before),
so one call per frame is what it is: its ratio is about 1 and its per-frame features are
not the clip's. ``mobilenet_v2+movinet_a0`` (the shipped head's) is timed like the others.

InceptionV3 runs with random weights (the ImageNet weights cannot be had offline; timing
does not depend on the weights). Needs VIDCLASS_HOME with the UCF101 clips and the models.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import bench_setup  # noqa: E402,F401  (paths and VIDCLASS_HOME)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def best_of(repeats, action):
    """The fastest of ``repeats`` runs of ``action()``, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def random_inception(tmp_folder: Path):
    """An InceptionV3 encoder at 299×299 loaded from a random weights file (timing only)."""
    import keras

    from vidclass.encoders import InceptionV3Encoder

    model = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None, input_shape=(299, 299, 3))
    path = tmp_folder / "random.weights.h5"
    model.save_weights(path)
    return InceptionV3Encoder(weights=path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=40, help="clips for the throughput figure (0 = all)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--skip-inception", action="store_true")
    args = parser.parse_args()

    import tempfile

    from vidclass import store
    from vidclass.cnn_gru import HeadConfig
    from vidclass.datasets import limit_per_class, list_folder
    from vidclass.encoders import DEFAULT_ENCODER, load_encoder
    from vidclass.sampling import sample_frames
    from vidclass.training import extract_features, fit_head, sampling_for

    listing = list_folder(store.find("data/ucf101/train"))
    if args.clips:
        listing = limit_per_class(listing, max(2, args.clips // len(listing.class_names)))
    clip = listing.clips[0].path
    print(f"cpu cores: {os.cpu_count()}, clip for per-call timing: {clip.name}, throughput on {len(listing.clips)} clips")

    scratch = tempfile.TemporaryDirectory(prefix="vidclass-bench-")
    encoders = [load_encoder(name) for name in ("mobilenet_v2", "mobilenet_v1", "movinet_a0", DEFAULT_ENCODER)]
    if not args.skip_inception:
        encoders.append(random_inception(Path(scratch.name)))
    feature_sets = {}
    for encoder in encoders:
        frames = sample_frames(clip, sampling_for(encoder.input_size, "uniform", 20)).frames
        encoder.encode(frames[:2])  # warm up
        batched = best_of(3, lambda: encoder.encode(frames))
        per_frame = best_of(3, lambda: encoder.encode_per_frame(frames))
        print(
            f"{encoder.name:24s} encode 20 frames: {batched * 1000:7.1f} ms as few calls as possible, "
            f"{per_frame * 1000:7.1f} ms one call per frame (Keras example), ratio {per_frame / batched:5.2f}x"
        )
        started = time.perf_counter()
        feature_sets[encoder.name] = extract_features(listing, encoder, sampling_for(encoder.input_size, "uniform", 20), use_cache=False)
        seconds = time.perf_counter() - started
        print(f"{encoder.name:24s} feature extraction: {len(listing.clips) / seconds:5.2f} clips/s "
              f"({seconds:.1f} s for {len(listing.clips)} clips, decode included, no cache)")

    compare_tflite_runtimes(clip)
    features = feature_sets[DEFAULT_ENCODER]
    for name, config in (
        ("Keras example GRU(16)->GRU(8)", HeadConfig()),
        ("shipped architecture", shipped_config()),
    ):
        result = fit_head(features, config, epochs=args.epochs)
        print(f"training {name}: {result.seconds:.1f} s for {args.epochs} epochs on {len(features.labels)} clips "
              f"({result.seconds / args.epochs * 1000:.0f} ms/epoch)")
    scratch.cleanup()
    return 0


def compare_tflite_runtimes(clip) -> None:
    """mobilenet_v2 on 20 frames: ai-edge-litert vs tf.lite, and whether a batch of 20 can run."""
    import warnings

    from vidclass import store
    from vidclass.encoders import MOBILENET_V2_PATH
    from vidclass.sampling import SamplingConfig, sample_frames

    frames = sample_frames(clip, SamplingConfig(num_frames=20, size=224)).frames
    path = str(store.find(MOBILENET_V2_PATH))
    runtimes = []
    from ai_edge_litert.interpreter import Interpreter as LiteRT

    runtimes.append(("ai-edge-litert", LiteRT))
    try:
        import tensorflow as tf

        runtimes.append(("tf.lite", tf.lite.Interpreter))
    except ImportError:
        pass
    for label, interpreter_class in runtimes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            interpreter = interpreter_class(model_path=path, num_threads=1, experimental_preserve_all_tensors=True)
        interpreter.allocate_tensors()
        index = interpreter.get_input_details()[0]["index"]

        def per_frame():
            for frame in frames:
                interpreter.set_tensor(index, frame[None])
                interpreter.invoke()

        per_frame()
        seconds = best_of(3, per_frame)
        try:
            interpreter.resize_tensor_input(index, [len(frames), 224, 224, 3])
            interpreter.allocate_tensors()
            interpreter.set_tensor(index, frames)
            interpreter.invoke()
            batch = "a batch of 20 runs"
        except Exception as error:  # the model has a fixed batch of 1 inside
            batch = f"a batch of 20 fails ({str(error).splitlines()[0][:70]})"
        print(f"mobilenet_v2 via {label:14s}: {seconds * 1000:6.1f} ms for 20 frames one invoke each; {batch}")


def shipped_config():
    """The shipped head's architecture (read from its config.json, else the example's)."""
    import json

    from vidclass.cnn_gru import SHIPPED_HEAD, HeadConfig

    path = SHIPPED_HEAD / "config.json"
    return HeadConfig.from_dict(json.loads(path.read_text())) if path.is_file() else HeadConfig()


if __name__ == "__main__":
    sys.exit(main())
