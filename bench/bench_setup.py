"""What every script in ``bench/`` does first (``from bench_setup import ROOT``): put the
repository root (for ``vidclass`` and ``app_pages``) and ``tests/`` (for the ``e2e`` browser
helpers) on ``sys.path``, and point ``VIDCLASS_HOME`` at ``../shared`` beside the checkout
unless it is set already."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
os.environ.setdefault("VIDCLASS_HOME", str((ROOT.parent / "shared").resolve()))
