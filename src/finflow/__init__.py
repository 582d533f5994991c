"""finflow: circular financing, exposure concentration and default contagion in
networks of equity stakes, loans, bonds, purchases and cloud contracts.

>>> import finflow
>>> net = finflow.load_default()          # the AI-infrastructure network, 2025-2026
>>> "nvidia" in net.index
True
"""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import FinflowError, MissingDataError, NetworkFileError, Problem
from .kinds import KINDS, STATUSES, ENTITY_TYPES, resolve_lgd
from .model import Network, load
from .data import bundled, load_default
from .analysis.overview import overview, throughput
from .analysis.contagion import (contagion, debtrank, eisenberg_noe, linear_debtrank,
                                 threshold_cascade)
from .analysis.ranking import systemic_ranking

__all__ = [
    "__version__",
    "FinflowError",
    "MissingDataError",
    "NetworkFileError",
    "Problem",
    "KINDS",
    "STATUSES",
    "ENTITY_TYPES",
    "resolve_lgd",
    "Network",
    "load",
    "load_default",
    "bundled",
    "overview",
    "throughput",
    "contagion",
    "threshold_cascade",
    "debtrank",
    "linear_debtrank",
    "eisenberg_noe",
    "systemic_ranking",
]
