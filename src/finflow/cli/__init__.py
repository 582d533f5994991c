"""finflow's command line: ``finflow COMMAND [NETWORK] [OPTIONS]``.

Each command lives in its own module and registers itself on :data:`main`.
"""
from __future__ import annotations

from .base import main
from . import show as _show  # noqa: F401  (registers show, validate)
from . import contagion as _contagion  # noqa: F401  (registers contagion, rank)

__all__ = ["main"]
