"""`vidclass info CLIP`: a clip's metadata as JSON on stdout."""

from __future__ import annotations

import json

NAME = "info"
HELP = "Print a clip's metadata (frame count, fps, duration, size, codec, rotation) as JSON."


def add_arguments(parser):
    """CLIP: a video file."""
    from vidclass.cli import VIDEO_KINDS

    parser.add_argument("clip", metavar="CLIP", help=f"a video file ({VIDEO_KINDS})")


def run(args) -> int:
    """Probe the clip and print ``VideoInfo`` as indented JSON; 0 on success."""
    from vidclass.video import probe

    info = probe(args.clip)
    print(json.dumps(info.as_dict(), indent=2))
    return 0
