"""`vidclass train`: train a CNN + GRU head on your own labelled clips.

    python -m vidclass train --encoder mobilenet_v2 --data DIR --out DIR [--frames 20] [--epochs 40]

DATA is a folder with one sub-folder per class, or a CSV with ``video_name,tag`` columns.
Validation holds out whole UCF101 groups (``v_<Class>_g<NN>_c<NN>``); features are cached
per clip, so a second run skips the extraction. A head already in ``--out`` is replaced
only with ``--overwrite`` (checked before any work starts).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "train"
HELP = "Train a CNN + GRU head on clips in class folders (or a video_name,tag CSV)."


def add_arguments(parser):
    """--data, --out, --encoder, --frames, --epochs, --strategy, --validation, --seed, --folds, head options."""
    from vidclass.encoders import DEFAULT_ENCODER, encoder_names
    from vidclass.sampling import VIEW_COUNTS

    parser.add_argument("--data", required=True, help="folder with one sub-folder per class, or a CSV with video_name,tag")
    parser.add_argument("--out", required=True, help="folder to write the head into (created)")
    parser.add_argument("--overwrite", action="store_true", help="replace a head already in --out")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER, choices=encoder_names(),
                        help=f"frame encoder (default {DEFAULT_ENCODER}, the best measured on UCF101)")
    parser.add_argument("--frames", type=int, default=20, help="frames sampled per clip (default 20)")
    parser.add_argument("--strategy", default="uniform", choices=["uniform", "first"], help="frame sampling (default uniform)")
    parser.add_argument("--epochs", type=int, default=60, help="training epochs (default 60)")
    parser.add_argument("--validation", type=float, default=0.2, help="share of each class held out, as whole groups (default 0.2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--folds", type=int, default=0,
                        help="measure with group k-fold cross-validation (k ≥ 2), then train the saved head on every clip")
    head = parser.add_argument_group("head architecture (defaults: the shipped UCF101 head's)")
    from vidclass.cnn_gru import default_head_config

    defaults = default_head_config()
    head.add_argument("--architecture", choices=["gru", "mean"], default=defaults.architecture,
                      help="gru: masked GRU over the frames; mean: temporal-average baseline")
    head.add_argument("--units", type=int, nargs="+", default=defaults.units, help="GRU widths, first to last")
    head.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=defaults.bidirectional)
    head.add_argument("--normalize", action=argparse.BooleanOptionalAction, default=defaults.normalize,
                      help="layer-normalise each frame's features")
    head.add_argument("--projection", type=int, default=defaults.projection, help="per-frame Dense width before the GRU (0 = none)")
    head.add_argument("--dense", type=int, default=defaults.dense, help="relu layer width before the softmax (0 = none)")
    head.add_argument("--dropout", type=float, default=defaults.dropout)
    head.add_argument("--input-dropout", type=float, default=defaults.input_dropout)
    head.add_argument("--label-smoothing", type=float, default=defaults.label_smoothing)
    head.add_argument("--geometry", choices=["crop", "pad"], default=defaults.geometry,
                      help="fit frames to the encoder's square by centre crop or by padding")
    head.add_argument("--flip-augment", action=argparse.BooleanOptionalAction, default=defaults.flip_augment,
                      help="also train on mirrored frames (extracts features twice)")
    head.add_argument("--frame-dropout", type=float, default=defaults.frame_dropout,
                      help="training only: share of frames masked out at random")
    head.add_argument("--ensemble", type=int, default=defaults.ensemble,
                      help="train this many heads (different seeds) and average them (default 1)")
    head.add_argument("--views", type=int, choices=list(VIEW_COUNTS), default=defaults.views,
                      help="spatial views per frame: 1 centre square; 3 left/centre/right squares of a 4:3 frame; "
                           "6 those and their mirror images (training shows one at random, classifying averages all)")
    head.add_argument("--title", default="", help="the name people see, e.g. 'CNN + GRU — my classes'")


def checked_output_folder(out_text: str, model_file: str, overwrite: bool) -> Path:
    """``--out`` as a folder, checked before any work starts: ``BadInputError`` when it is
    empty, is a file, already holds ``model_file`` (unless ``overwrite``) or cannot be created."""
    from vidclass.errors import BadInputError
    from vidclass.store import is_writable

    if not out_text.strip():
        raise BadInputError("--out must name a folder, not an empty string.")
    out = Path(out_text).expanduser()
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out {out} is a file, not a folder: choose a folder to write the model into.")
    if (out / model_file).exists() and not overwrite:
        raise BadInputError(
            f"{out} already holds a trained model ({model_file}): pass --overwrite to replace it, or choose another --out."
        )
    nearest = next(folder for folder in (out, *out.parents) if folder.exists())
    if not nearest.is_dir() or not is_writable(nearest):
        raise BadInputError(f"--out {out} cannot be created: {nearest} is not a writable folder.")
    return out


def head_config_from(args):
    """A ``HeadConfig`` from the parsed head-architecture arguments."""
    from vidclass.cnn_gru import HeadConfig

    from vidclass.errors import BadInputError

    if any(width < 1 for width in args.units):
        raise BadInputError("--units must all be at least 1.")
    if not 1 <= args.ensemble <= 10:
        raise BadInputError(f"--ensemble must be between 1 and 10, got {args.ensemble}.")
    return HeadConfig(
        architecture=args.architecture, units=list(args.units), bidirectional=args.bidirectional,
        normalize=args.normalize, projection=args.projection, dense=args.dense, dropout=args.dropout,
        input_dropout=args.input_dropout, label_smoothing=args.label_smoothing, title=args.title,
        geometry=args.geometry, flip_augment=args.flip_augment, frame_dropout=args.frame_dropout,
        ensemble=args.ensemble, views=args.views,
    )


def run(args) -> int:
    """Train, write the head folder, print a summary; 0 on success."""
    from vidclass.cli import native_stderr_captured
    from vidclass.cnn_gru import HEAD_FILE
    from vidclass.datasets import list_dataset
    from vidclass.encoders import load_encoder
    from vidclass.errors import BadInputError
    from vidclass.training import train

    if args.frames < 1 or args.frames > 256:
        raise BadInputError(f"--frames must be between 1 and 256, got {args.frames}.")
    if args.epochs < 1:
        raise BadInputError(f"--epochs must be at least 1, got {args.epochs}.")
    if args.folds == 1 or args.folds < 0:
        raise BadInputError(f"--folds must be 0 (a group-wise validation split) or at least 2, got {args.folds}.")
    if not 0.0 < args.validation < 1.0:
        raise BadInputError(f"--validation must be between 0 and 1, got {args.validation}.")
    out = checked_output_folder(args.out, HEAD_FILE, args.overwrite)
    listing = list_dataset(args.data)
    for name, reason in listing.ignored:
        print(f"vidclass: left out {name}: {reason}", file=sys.stderr)
    counts = ", ".join(f"{name} {count}" for name, count in listing.counts().items())
    print(f"{len(listing.clips)} clips in {len(listing.class_names)} classes ({counts})", file=sys.stderr)
    with native_stderr_captured():  # the TFLite runtime's start-up line stays off the terminal
        encoder = load_encoder(args.encoder)

    last_shown = [""]

    def progress(fraction: float, message: str) -> None:
        if args.quiet or message == last_shown[0]:
            return
        last_shown[0] = message
        end = "\n" if fraction >= 1.0 or message.startswith("Training") else "\r"
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr, end=end, flush=True)

    result = train(
        listing, out, encoder_name=args.encoder, num_frames=args.frames, epochs=args.epochs,
        strategy=args.strategy, validation_fraction=args.validation, seed=args.seed, progress=progress,
        head_config=head_config_from(args), folds=args.folds, encoder=encoder,
    )
    for path, reason in result.skipped:
        print(f"vidclass: skipped unreadable clip {path}: {reason}", file=sys.stderr)
    print(f"accuracy {result.metrics['accuracy']:.1%} on {result.metrics['measured_on']}")
    print(f"head written to {result.folder}")
    return 0
