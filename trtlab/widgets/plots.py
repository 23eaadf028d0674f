"""The profiling plots live in :mod:`trtlab.draw.plots`; this module keeps the old import path working."""

from __future__ import annotations

from ..draw.plots import *  # noqa: F401,F403
from ..draw.plots import __all__  # noqa: F401
