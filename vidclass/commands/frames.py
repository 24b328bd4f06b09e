"""`vidclass frames CLIP --out DIR`: write sampled frames as PNG files."""

from __future__ import annotations

import json
from pathlib import Path

NAME = "frames"
HELP = "Sample frames from a clip and write them as PNG files named with their source frame index."


def add_sampling_arguments(parser, default_n: int = 16) -> None:
    """The sampling options shared by ``frames`` and ``gif``."""
    from vidclass.cli import VIDEO_KINDS
    from vidclass.sampling import STRATEGIES

    parser.add_argument("clip", metavar="CLIP", help=f"a video file ({VIDEO_KINDS})")
    parser.add_argument("--n", type=int, default=default_n, metavar="N",
                        help=f"number of frames (window length for sliding, cap for fps; default {default_n})")
    parser.add_argument("--strategy", choices=STRATEGIES, default="uniform",
                        help="uniform: spread over the clip; step: every --step-th frame; first: the first N; "
                             "fps: resample to --target-fps; sliding: windows with --stride (default uniform)")
    parser.add_argument("--size", type=int, default=224, metavar="PIXELS", help="output side in pixels (default 224)")
    geometry = parser.add_mutually_exclusive_group()
    geometry.add_argument("--crop", dest="geometry", action="store_const", const="crop",
                          help="centre-crop to a square, then resize (default)")
    geometry.add_argument("--pad", dest="geometry", action="store_const", const="pad",
                          help="resize to fit, padding with black")
    parser.set_defaults(geometry="crop")
    parser.add_argument("--step", type=int, default=15, help="frame step for --strategy step (default 15)")
    parser.add_argument("--target-fps", type=float, default=5.0, help="frame rate for --strategy fps (default 5)")
    parser.add_argument("--stride", type=int, default=8, help="window stride for --strategy sliding (default 8)")


def sampling_config(args):
    """A ``SamplingConfig`` from parsed arguments; ``BadInputError`` for impossible values."""
    from vidclass.errors import BadInputError
    from vidclass.sampling import SamplingConfig

    for name in ("n", "step", "stride"):
        if getattr(args, name) < 1 and not (name == "n" and args.strategy == "fps" and args.n == 0):
            raise BadInputError(f"--{name} must be at least 1, got {getattr(args, name)}.")
    if not 1 <= args.size <= 4096:
        raise BadInputError(f"--size must be between 1 and 4096 pixels, got {args.size}.")
    if not args.target_fps > 0:
        raise BadInputError(f"--target-fps must be above 0, got {args.target_fps}.")
    return SamplingConfig(
        strategy=args.strategy, num_frames=args.n, size=args.size, geometry=args.geometry,
        step=args.step, target_fps=args.target_fps, stride=args.stride,
    )


def add_arguments(parser):
    """Sampling options plus ``--out DIR``."""
    add_sampling_arguments(parser)
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the PNG files (created)")


def run(args) -> int:
    """Sample, write ``frame_<source index>.png`` per real frame, print a JSON summary."""
    import cv2

    from vidclass.errors import BadInputError
    from vidclass.sampling import sample_frames

    if not args.out.strip():
        raise BadInputError("--out must name a folder for the PNG files, not an empty string.")
    config = sampling_config(args)
    sampled = sample_frames(args.clip, config)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInputError(f"Cannot create the output folder {out}: {error.strerror}.") from error
    written = []
    for frame, index, time in zip(sampled.frames, sampled.indices, sampled.timestamps):
        if index < 0:
            continue  # a padded slot: the clip has fewer frames than asked
        path = out / f"frame_{int(index):06d}.png"
        if not cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)):
            raise BadInputError(f"Cannot write {path}.")
        written.append({"path": str(path), "index": int(index), "seconds": round(float(time), 3)})
    summary = {"clip": str(args.clip), "asked": int(len(sampled.indices)), "written": len(written), "frames": written}
    print(json.dumps(summary, indent=2))
    return 0
