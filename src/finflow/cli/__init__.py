"""finflow's command line: ``finflow COMMAND [NETWORK] [OPTIONS]``.

Each command lives in its own module and registers itself on :data:`main`.
"""
from __future__ import annotations

from .base import main
from . import show as _show  # noqa: F401  (registers show, validate)
from . import generate as _generate  # noqa: F401
from . import view as _view  # noqa: F401  (registers view)
from . import cycles as _cycles  # noqa: F401  (registers cycles)
from . import concentration as _concentration  # noqa: F401  (registers concentration)
from . import timeline as _timeline  # noqa: F401  (registers timeline)
from . import contagion as _contagion  # noqa: F401  (registers contagion, rank)
from . import report as _report  # noqa: F401  (registers report)
from . import uncertainty as _uncertainty  # noqa: F401  (registers uncertainty)
from . import diff as _diff  # noqa: F401  (registers diff)
from . import stress as _stress  # noqa: F401  (registers stress)
from . import aggregate as _aggregate  # noqa: F401  (registers aggregate)

__all__ = ["main"]
