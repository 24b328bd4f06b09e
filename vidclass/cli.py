"""The ``vidclass`` command line: one sub-command per module in ``vidclass.commands``.

Each command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``. Errors: one line on stderr (argument errors too); exit code 2 for
bad input (including a missing asset), 1 for an internal failure. ``classify`` exits 3
when some clips could not be classified and the others were (see its ``--help``).

TensorFlow's C++ start-up lines (absl, oneDNN, CUDA) are kept off the terminal: they
are written straight to file descriptor 2 whatever ``TF_CPP_MIN_LOG_LEVEL`` says, so
the first ``import tensorflow`` runs with that descriptor captured
(``QuietTensorFlowImport``); the text is shown only when the import fails.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import tempfile

from vidclass import __version__
from vidclass.errors import VidclassError

COMMAND_MODULES = ("info", "frames", "gif", "fetch", "classify", "train", "yt8m")
EXIT_SOME_CLIPS_FAILED = 3
VIDEO_KINDS = "mp4, mov, avi, mkv, webm, gif, mpg, ts, wmv…"  # for the CLIP arguments' help


class OneLineArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line on stderr with exit code 2."""

    def error(self, message):
        self.exit(2, f"vidclass: {message} (see `{self.prog} --help`).\n")


def whole_number_at_least(minimum: int):
    """An argparse ``type``: a whole number ≥ ``minimum``, else a one-line argument error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = f"whole number of at least {minimum}"
    return parse


@contextlib.contextmanager
def native_stderr_captured():
    """Run a block with file descriptor 2 (where C++ libraries log) going to an unnamed
    temporary file; the captured text is written back to stderr only when the block
    raises an exception other than a ``VidclassError`` (whose own message says it all)."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to keep quiet
        yield
        return
    failed = False
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except Exception as error:
            failed = not isinstance(error, VidclassError)
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if failed:
                captured.seek(0)
                sys.stderr.write(captured.read().decode("utf-8", "replace"))
                sys.stderr.flush()


class QuietLoader(importlib.abc.Loader):
    """Runs the real loader of ``tensorflow`` with its C++ start-up lines captured."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader
        with native_stderr_captured():
            self.loader.exec_module(module)
            try:  # CUDA is probed (and its failure logged) on first device use: do it now
                module.config.list_physical_devices()
            except Exception:
                pass


class QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """A one-shot import hook: the first ``import tensorflow`` goes through ``QuietLoader``."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = QuietLoader(spec.loader)
        return spec


def quiet_tensorflow_logs() -> None:
    """Before TensorFlow loads: ``TF_CPP_MIN_LOG_LEVEL=2`` (no info or warning lines) unless
    the user set it, and the one-shot ``QuietTensorFlowImport`` hook."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules or any(isinstance(finder, QuietTensorFlowImport) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, QuietTensorFlowImport())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = OneLineArgumentParser(prog="vidclass", description="Classify video clips and explore YouTube-8M.")
    parser.add_argument("--version", action="version", version=f"vidclass {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(f"vidclass.commands.{module_name}")
        sub = commands.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code (never raises for expected failures)."""
    args = build_parser().parse_args(argv)
    quiet_tensorflow_logs()
    try:
        return int(args.run(args) or 0)
    except VidclassError as error:
        print(f"vidclass: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("vidclass: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug or an environment failure: one line, exit 1
        print(f"vidclass: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
