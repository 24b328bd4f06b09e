"""`vidclass classify --model movinet|cnn-gru CLIP…`: the top labels of each clip.

The model is loaded once for all clips. ``--format json`` prints one JSON object per
clip per line (``Prediction.to_json``); a clip that cannot be classified prints
``{"path": …, "error": "one plain sentence"}`` (and ``vidclass: CLIP: sentence`` on
stderr) and the others still run. Exit codes: 0 every clip classified; 3 some clips
failed, the others were classified; 2 every clip failed on bad input; 1 a clip hit an
internal failure. A missing model is one line on stderr naming the asset and the command
that fetches it (exit code 2, from ``vidclass.cli``).
"""

from __future__ import annotations

import json
import sys

NAME = "classify"
HELP = "Classify video clips with MoViNet (Kinetics-600) or the CNN-GRU and print the top labels."

FORMATS = ("json", "table")
EXIT_CODES = (
    "Exit codes: 0 every clip was classified; 3 some clips could not be classified (each has an error row "
    "and a line on stderr), the others were; 2 bad input: every clip failed, or an option or the model is wrong; "
    "1 an internal failure."
)


def add_arguments(parser):
    """Clips, ``--model``, ``--top-k``, ``--format`` and the model-specific options."""
    from vidclass.classifiers import model_names
    from vidclass.cli import VIDEO_KINDS

    parser.epilog = EXIT_CODES
    parser.add_argument("clips", nargs="+", metavar="CLIP", help=f"video files ({VIDEO_KINDS})")
    parser.add_argument("--model", choices=model_names(), default="movinet", help="which classifier (default movinet)")
    parser.add_argument("--top-k", type=int, default=5, metavar="K", help="how many labels per clip (default 5)")
    parser.add_argument("--format", choices=FORMATS, default="json",
                        help="json: one JSON object per clip per line (default); table: for reading")
    parser.add_argument("--encoder", metavar="NAME", default=None, help="cnn-gru only: the per-frame feature encoder")
    parser.add_argument("--head", metavar="PATH", default=None, help="cnn-gru only: a trained GRU head file")
    parser.add_argument("--handle", metavar="HANDLE", default=None,
                        help="movinet only: a TF Hub MoViNet handle or SavedModel folder instead of the TFLite model")


def classifier_options(args) -> dict:
    """Keyword options for ``load_classifier`` from the arguments; ``BadInputError`` for misplaced ones."""
    from vidclass.errors import BadInputError

    if args.top_k < 1:
        raise BadInputError(f"--top-k must be at least 1, got {args.top_k}.")
    options = {}
    if args.model == "cnn-gru":
        if args.handle:
            raise BadInputError("--handle only applies to --model movinet.")
        if args.encoder:
            options["encoder"] = args.encoder
        if args.head:
            options["head"] = args.head
    else:
        if args.encoder or args.head:
            raise BadInputError("--encoder and --head only apply to --model cnn-gru.")
        if args.handle:
            options["handle"] = args.handle
    return options


def error_sentence(error: Exception) -> str:
    """One plain sentence for a clip that failed."""
    from vidclass.errors import VidclassError

    if isinstance(error, VidclassError):
        return str(error)
    return f"Could not classify this clip because of an internal error ({type(error).__name__}: {error})."


def table_lines(path: str, result) -> list[str]:
    """Human-readable lines for one clip: a header, then one line per label (or the error)."""
    if isinstance(result, str):
        return [f"{path}: {result}"]
    lines = [f"{path}  ({result.frames.num_real} frames, {result.seconds:.2f} s)"]
    for rank, item in enumerate(result.labels, start=1):
        lines.append(f"  {rank}. {item.label:<40} {item.score:6.1%}")
    return lines


def exit_code(clip_count: int, failures: list[Exception]) -> int:
    """The command's exit code (see ``EXIT_CODES``) from the errors of the clips that failed."""
    from vidclass.cli import EXIT_SOME_CLIPS_FAILED
    from vidclass.errors import VidclassError

    if not failures:
        return 0
    if any(not isinstance(error, VidclassError) or error.exit_code != 2 for error in failures):
        return 1
    return 2 if len(failures) == clip_count else EXIT_SOME_CLIPS_FAILED


def run(args) -> int:
    """Classify every clip in order; print each result as soon as it is known."""
    from vidclass.classifiers import load_classifier
    from vidclass.cli import native_stderr_captured

    options = classifier_options(args)
    with native_stderr_captured():  # the runtimes' C++ start-up lines stay off the terminal
        classifier = load_classifier(args.model, **options)
    failures: list[Exception] = []
    for path in args.clips:
        try:
            with native_stderr_captured():
                result = classifier.classify(path, top_k=args.top_k)
        except Exception as error:  # one clip failing never stops the others
            failures.append(error)
            result = error_sentence(error)
            print(f"vidclass: {path}: {result}", file=sys.stderr, flush=True)
        if args.format == "json":
            record = {"path": str(path), "error": result} if isinstance(result, str) else result.to_json(path)
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print("\n".join(table_lines(str(path), result)), flush=True)
    return exit_code(len(args.clips), failures)
