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
from .analysis.decomposition import circular_decomposition
from .generate import generate
from .view import view, view_html, view_data
from .analysis.cycles import (Cycle, count_cycles, entity_heaviest_cycles, find_cycles,
                              heaviest_cycles)
from .analysis.circulation import max_circulation, netting
from .analysis.flowmeasures import (circular_cores, finn_cycling, finn_indices,
                                    hodge_decomposition, trophic_levels)
from .analysis.circularity import circular_financing
from .analysis.concentration import concentration
from .analysis.timeline import schedule, funding_gap
from .timeline_chart import timeline_chart_svg
from .analysis.contagion import (contagion, debtrank, eisenberg_noe, linear_debtrank,
                                 threshold_cascade)
from .analysis.ranking import systemic_ranking
from .analysis.uncertainty import draw_commitments, draw_equity, uncertainty
from .analysis.nullmodel import circularity_significance
from .analysis.diff import diff
from .analysis.stress import stress, stress_scenarios

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
    "circular_decomposition",
    "generate",
    "view",
    "view_html",
    "view_data",
    "Cycle",
    "find_cycles",
    "count_cycles",
    "heaviest_cycles",
    "entity_heaviest_cycles",
    "max_circulation",
    "netting",
    "finn_cycling",
    "finn_indices",
    "hodge_decomposition",
    "trophic_levels",
    "circular_cores",
    "circular_financing",
    "concentration",
    "schedule",
    "funding_gap",
    "timeline_chart_svg",
    "contagion",
    "threshold_cascade",
    "debtrank",
    "linear_debtrank",
    "eisenberg_noe",
    "systemic_ranking",
    "uncertainty",
    "draw_commitments",
    "draw_equity",
    "circularity_significance",
    "diff",
    "stress",
    "stress_scenarios",
]
