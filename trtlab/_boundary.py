"""The one boundary between trtlab's public functions and everything below them.

Two things every public entry point that parses or builds needs, written once:

- :func:`gc_paused` pauses the cyclic garbage collector while many small objects are made that
  hold no reference cycles (parsing, graph building, mapping): the collector's repeated scans
  over them cost more than the work itself.
- :func:`boundary` turns an unexpected exception raised *by a library trtlab calls* (onnx,
  json, networkx, matplotlib, TensorRT) into the trtlab error the caller catches, with a
  message saying what was being done. An exception raised inside trtlab's own code is a bug
  in trtlab, not bad input: it is wrapped for notebook users too (so a kernel never sees a raw
  traceback from deep inside), but with ``TRTLAB_DEBUG=1`` (set by the test suite) it passes
  through unchanged, with its traceback, so tests see the bug and not "check your files".
"""

from __future__ import annotations

import functools
import gc
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from .errors import TrtlabError

__all__ = ["gc_paused", "boundary", "debug_enabled"]

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
F = TypeVar("F", bound=Callable)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block and restore its previous state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def debug_enabled() -> bool:
    """True when ``TRTLAB_DEBUG`` asks for trtlab's own bugs to pass through unwrapped."""
    return os.environ.get("TRTLAB_DEBUG", "") not in ("", "0")


def _raised_in_trtlab(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc``'s traceback is trtlab's own code."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return False
    filename = os.path.abspath(last.tb_frame.f_code.co_filename)
    return filename.startswith(_PACKAGE_DIR)


@contextmanager
def boundary(error: type[TrtlabError], doing: str, hint: str = "") -> Iterator[None]:
    """Re-raise unexpected exceptions of the block as ``error`` saying what was being ``doing``.

    trtlab's own errors pass through untouched. ``hint`` is the advice appended to the message
    (what to check or try). Used as a context manager or, through :func:`guarded`, a decorator.
    """
    try:
        yield
    except TrtlabError:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except MemoryError as exc:
        raise error(f"{doing} ran out of memory; the input is too large for this machine. {hint}".strip()) from exc
    except Exception as exc:
        if debug_enabled() and _raised_in_trtlab(exc):
            raise
        text = str(exc)
        if len(text) > 300:
            text = text[:297] + "..."
        raise error(f"{doing} failed: {type(exc).__name__}: {text}. {hint}".strip()) from exc


def guarded(error: type[TrtlabError], doing: str, hint: str = "", *, pause_gc: bool = False) -> Callable[[F], F]:
    """Decorator form of :func:`boundary` (and optionally :func:`gc_paused`) for a whole function."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            with boundary(error, doing, hint):
                if pause_gc:
                    with gc_paused():
                        return fn(*args, **kwargs)
                return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap
