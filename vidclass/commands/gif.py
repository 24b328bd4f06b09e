"""`vidclass gif CLIP --out x.gif`: the sampled frames as an animated GIF.

An existing ``--out`` is replaced only when it is a GIF, and never when it is the clip
itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from vidclass.commands.frames import add_sampling_arguments, sampling_config

NAME = "gif"
HELP = "Sample frames from a clip and write them as a looping animated GIF (longest side at most 320 pixels)."


def add_arguments(parser):
    """Sampling options plus ``--out FILE`` and ``--fps``."""
    add_sampling_arguments(parser)
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="the GIF file to write (an existing file is replaced only when it is a GIF)")
    parser.add_argument("--fps", type=float, default=None,
                        help="playback frame rate (default: the rate the frames were sampled at, 2–25 fps)")


def is_gif_file(path: Path) -> bool:
    """True when ``path`` starts with a GIF signature (``GIF87a`` or ``GIF89a``)."""
    with open(path, "rb") as handle:
        return handle.read(6) in (b"GIF87a", b"GIF89a")


def checked_destination(out_text: str, clip: str) -> Path:
    """``--out`` as a path, or ``BadInputError`` unless writing it loses nothing: it must
    not be empty, the clip itself, nor an existing file that is not a GIF."""
    from vidclass.errors import BadInputError

    if not out_text.strip():
        raise BadInputError("--out must name the GIF file to write, not an empty string.")
    out = Path(out_text)
    if not out.exists():
        return out
    if Path(clip).exists() and out.samefile(clip):
        raise BadInputError(f"--out {out} is the input clip itself: choose another file name for the GIF.")
    if out.is_file() and not is_gif_file(out):
        raise BadInputError(f"{out} already exists and is not a GIF: choose another --out or remove that file first.")
    return out


def write_gif(out: Path, data: bytes) -> None:
    """Write the GIF bytes to ``out`` in one step (``store.write_atomically``), its folder made
    when missing; ``BadInputError`` when it cannot be written."""
    from vidclass.errors import BadInputError
    from vidclass.store import write_atomically

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(out, lambda temporary: temporary.write_bytes(data))
    except OSError as error:
        raise BadInputError(f"Cannot write {out}: {error.strerror}.") from error


def run(args) -> int:
    """Sample, encode with ``frames_to_gif``, write the file, print a JSON summary."""
    from vidclass.errors import BadInputError
    from vidclass.playback import frames_to_gif, gif_duration_ms
    from vidclass.sampling import sample_frames

    if args.fps is not None and not 0 < args.fps <= 100:
        raise BadInputError(f"--fps must be above 0 and at most 100, got {args.fps}.")
    out = checked_destination(args.out, args.clip)
    config = sampling_config(args)
    sampled = sample_frames(args.clip, config)
    real = sampled.frames[sampled.mask]
    duration = int(round(100.0 / args.fps)) * 10 if args.fps else gif_duration_ms(sampled)  # GIF keeps 10 ms steps
    data = frames_to_gif(real, duration_ms=duration)
    write_gif(out, data)
    summary = {"clip": str(args.clip), "out": str(out), "frames": int(len(real)), "ms_per_frame": duration, "bytes": len(data)}
    print(json.dumps(summary, indent=2))
    return 0
