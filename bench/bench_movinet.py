"""Speed of the MoViNet-A0-Stream classifier: runtimes, a 10-second clip end to end, threads.

Run from the repo root::

    nice python bench/bench_movinet.py

Prints:

1. per-frame latency (median, p95) of each runtime — LiteRT (``ai_edge_litert``) and
   ``tf.lite`` — with vidclass's direct-tensor loop and with the signature runner, plus
   interpreter creation time and the runtime's import time (cold, in a subprocess);
2. a real-content 10-second 25 fps clip end to end, warm (decode + resize + inference),
   at 320×240 and 854×480: targets ≤ 0.5 s, decode ≤ inference;
3. the naive peer way on the same clip (the TF video tutorials: decode and resize every
   frame, then run every native frame through the signature runner) and the ratio;
4. 8 threads classifying 8 different clips at once: a single interpreter behind a lock
   (pool of 1), the default pool, an interpreter per thread (pool of 8), vs serial;
5. model load time (``load_classifier()``), cold in a fresh process and warm.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench_setup import ROOT  # noqa: E402  (paths and VIDCLASS_HOME)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from vidclass import movinet, store  # noqa: E402
from vidclass.sampling import fit_frame, sample_frames  # noqa: E402
from vidclass.video import iter_frames  # noqa: E402

SOURCE_CLIP = "data/ucf101/train/Archery/v_Archery_g08_c01.mp4"  # 14.5 s, 25 fps, 320x240
THREAD_CLIPS = [
    "data/ucf101/train/Archery/v_Archery_g10_c01.mp4",
    "data/ucf101/train/Basketball/v_Basketball_g10_c01.mp4",
    "data/ucf101/train/Fencing/v_Fencing_g10_c01.mp4",
    "data/ucf101/train/TennisSwing/v_TennisSwing_g10_c01.mp4",
    "data/ucf101/train/BandMarching/v_BandMarching_g10_c01.mp4",
    "data/ucf101/train/BabyCrawling/v_BabyCrawling_g10_c01.mp4",
    "data/ucf101/train/BalanceBeam/v_BalanceBeam_g10_c01.mp4",
    "data/ucf101/train/ApplyLipstick/v_ApplyLipstick_g10_c01.mp4",
]


def stats_ms(seconds: list[float]) -> str:
    values = np.asarray(seconds) * 1000
    return f"median {np.median(values):6.2f} ms, p95 {np.percentile(values, 95):6.2f} ms"


def cold_import_seconds(statement: str) -> float:
    """Seconds a fresh Python process spends on ``statement`` (an import)."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=os.environ)
    return float(output.stdout.strip().splitlines()[-1])


def ten_second_clip(width: int, height: int) -> Path:
    """A real-content 10-second 25 fps H.264 clip (UCF101 Archery, resized), in the cache."""
    import imageio_ffmpeg

    path = store.cache_dir("bench") / f"archery_10s_25fps_{width}x{height}.mp4"
    if path.exists():
        return path
    writer = imageio_ffmpeg.write_frames(str(path), (width, height), fps=25, codec="libx264", quality=None,
                                         output_params=["-crf", "23"], macro_block_size=1)
    writer.send(None)
    for index, frame in iter_frames(store.find(SOURCE_CLIP), 0, 250):
        writer.send(np.ascontiguousarray(cv2.resize(frame, (width, height), interpolation=cv2.INTER_LINEAR)))
    writer.close()
    return path


def runtime_latency(frames: np.ndarray, rounds: int = 3) -> None:
    """Per-frame latency of each runtime, rounds interleaved (the machine is shared)."""
    model_path = store.find(movinet.MODEL_PATH)
    direct, signature, created = {}, {}, {}
    interpreters, runners = {}, {}
    for runtime in movinet.RUNTIMES:
        Interpreter = movinet.interpreter_class(runtime)  # import outside the timing
        started = time.perf_counter()
        interpreters[runtime] = movinet.StreamingInterpreter(model_path, movinet.default_num_threads(), runtime)
        created[runtime] = time.perf_counter() - started
        interpreters[runtime].stream(frames[:10])  # warm-up
        runners[runtime] = Interpreter(model_path=str(model_path), num_threads=movinet.default_num_threads())
        direct[runtime], signature[runtime] = [], []
    for _ in range(rounds):
        for runtime in movinet.RUNTIMES:
            stamps = [time.perf_counter()]
            interpreters[runtime].stream(frames, lambda position: stamps.append(time.perf_counter()))
            direct[runtime].extend(np.diff(stamps))
            # the signature runner way: every state through Python dicts
            runner = runners[runtime].get_signature_runner(movinet.SIGNATURE)
            details = runner.get_input_details()
            states = {name: np.zeros(d["shape"], d["dtype"]) for name, d in details.items() if name != "image"}
            for frame in frames:
                tick = time.perf_counter()
                outputs = runner(image=(frame[None, None] / np.float32(255)).astype(np.float32), **states)
                states = {name: value for name, value in outputs.items() if name != "logits"}
                signature[runtime].append(time.perf_counter() - tick)
    for runtime in movinet.RUNTIMES:
        print(f"  {runtime:<7} direct loop:      {stats_ms(direct[runtime])}   (interpreter created in {created[runtime] * 1000:.1f} ms)")
        print(f"  {runtime:<7} signature runner: {stats_ms(signature[runtime])}")


def grab_every_frame(path: Path) -> float:
    """Seconds to decode every frame with OpenCV and keep none: the floor for exact frames."""
    started = time.perf_counter()
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    while capture.grab():
        pass
    capture.release()
    return time.perf_counter() - started


def naive_peer(classifier, path: Path) -> float:
    """The TF tutorials' way: decode + resize every frame, run every native frame (signature runner)."""
    started = time.perf_counter()
    frames = [fit_frame(frame, 172, 172, "pad") for _, frame in iter_frames(path)]
    runner = movinet.interpreter_class("litert")(model_path=str(classifier.model_path), num_threads=classifier.num_threads)
    runner = runner.get_signature_runner(movinet.SIGNATURE)
    states = {name: np.zeros(d["shape"], d["dtype"]) for name, d in runner.get_input_details().items() if name != "image"}
    for frame in frames:
        outputs = runner(image=(frame[None, None] / np.float32(255)).astype(np.float32), **states)
        states = {name: value for name, value in outputs.items() if name != "logits"}
    return time.perf_counter() - started


def end_to_end(classifier, path: Path, repeats: int = 5) -> tuple[float, float, float, int]:
    """(total, decode, inference) seconds of the median warm run of ``classify(path)``, and
    how many frames the model saw."""
    frames_used = classifier.classify(path).frames.num_real
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        prediction = classifier.classify(path)
        runs.append((time.perf_counter() - started, prediction.decode_seconds, prediction.inference_seconds))
    runs.sort()
    return (*runs[len(runs) // 2], frames_used)  # the median run


def run_together(jobs: list) -> float:
    """Wall seconds for one thread per job (a no-argument callable), all released at once."""
    barrier = threading.Barrier(len(jobs) + 1)
    threads = [threading.Thread(target=lambda job=job: (barrier.wait(), job())) for job in jobs]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def threaded(classifier, paths: list[Path]) -> tuple[float, dict]:
    """Wall seconds for one thread per clip, all started together; {path: top label}."""
    answers = {}

    def job_for(path):
        return lambda: answers.__setitem__(path, classifier.classify(path).labels[0].label)

    return run_together([job_for(path) for path in paths]), answers


def threaded_frames(classifier, clips: list[np.ndarray]) -> float:
    """Wall seconds for one thread per frame array through ``classify_frames``, all at once."""
    return run_together([lambda clip=clip: classifier.classify_frames(clip) for clip in clips])


def main() -> int:
    print(f"MoViNet-A0-Stream int8 benchmark ({os.cpu_count()} cores, {movinet.default_num_threads()} threads per interpreter)")
    sampled = sample_frames(store.find("data/clips/jumping_jacks.mp4"), movinet.DEFAULT_SAMPLING)
    frames = np.concatenate([sampled.frames] * 8)[:240]

    print("\n1. Per-frame latency (240 real frames)")
    runtime_latency(frames)
    print(f"  cold import: ai_edge_litert {cold_import_seconds('from ai_edge_litert.interpreter import Interpreter'):.2f} s, "
          f"tensorflow {cold_import_seconds('import tensorflow'):.2f} s")

    classifier = movinet.load_classifier()
    print("\n2./3. A 10-second 25 fps clip end to end, warm (median of 5)")
    for width, height in ((320, 240), (854, 480)):
        path = ten_second_clip(width, height)
        total, decode, inference, frames_used = end_to_end(classifier, path)
        naive = min(naive_peer(classifier, path) for _ in range(2))
        floor = min(grab_every_frame(path) for _ in range(3))
        print(
            f"  {width}x{height}: {total:.3f} s (decode {decode:.3f} s, inference {inference:.3f} s, {frames_used} frames)"
            f"  target ≤ 0.5 s: {'met' if total <= 0.5 else 'NOT met'}; decode ≤ inference: "
            f"{'yes' if decode <= inference else 'no'}"
        )
        print(f"      codec floor (grab() every frame, no conversion, nothing else): {floor:.3f} s")
        print(f"      naive peer (every frame decoded + run, 250 frames): {naive:.3f} s  → vidclass is {naive / total:.1f}× faster")

    print("\n4. 8 threads, 8 different clips at once")
    paths = [store.find(clip) for clip in THREAD_CLIPS]
    started = time.perf_counter()
    serial = {path: classifier.classify(path).labels[0].label for path in paths}
    serial_seconds = time.perf_counter() - started
    print(f"  serial, one thread:              {serial_seconds:.2f} s  ({len(paths) / serial_seconds:.1f} clips/s)")
    for label, pool_size in (("lock (pool of 1)", 1), (f"pool of {movinet.default_pool_size()} (default)", None), ("interpreter per thread (8)", 8)):
        pooled = movinet.load_classifier(pool_size=pool_size)
        threaded(pooled, paths[:2])  # create the interpreters first
        seconds, answers = threaded(pooled, paths)
        same = "same answers" if answers == serial else "DIFFERENT answers"
        print(f"  {label:<32} {seconds:.2f} s  ({len(paths) / seconds:.1f} clips/s, {pooled.pool.created} interpreters, {same})")

    print("  inference only: 8 threads x 150 frames each (classify_frames, no decoding)")
    work = [frames[:150]] * 8
    started = time.perf_counter()
    for clip in work:
        classifier.classify_frames(clip)
    print(f"  serial, one thread:              {time.perf_counter() - started:.2f} s")
    for label, pool_size in (("lock (pool of 1)", 1), (f"pool of {movinet.default_pool_size()} (default)", None), ("interpreter per thread (8)", 8)):
        pooled = movinet.load_classifier(pool_size=pool_size)
        print(f"  {label:<32} {threaded_frames(pooled, work):.2f} s")

    print("\n5. Model load")
    cold = cold_import_seconds("from vidclass.movinet import load_classifier; load_classifier()")
    started = time.perf_counter()
    movinet.load_classifier()
    print(f"  load_classifier(): cold process {cold:.3f} s (imports included), warm {time.perf_counter() - started:.4f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
