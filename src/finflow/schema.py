"""Columns of the two tables that are a network's source of truth, and their types.

Types: ``id`` (non-empty text), ``text``, ``amount`` (number >= 0 or missing),
``signed`` (any number or missing: book equity can be negative), ``date``
(``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``), ``bool`` and the enumerations of
:mod:`finflow.kinds`. A missing figure is missing (NaN), never zero.
"""
from __future__ import annotations

from .kinds import CONFIDENCE_LEVELS, ENTITY_TYPES, HOLDER_CLASSES, KINDS, STATUSES

__all__ = [
    "ENTITY_COLUMNS",
    "COMMITMENT_COLUMNS",
    "ENTITY_REQUIRED",
    "COMMITMENT_REQUIRED",
    "ENUMS",
    "NUMERIC_ENTITY_FIELDS",
    "DEFAULTS",
]

#: entity column -> type, in file order
ENTITY_COLUMNS: dict[str, str] = {
    "id": "id",
    "name": "text",
    "type": "entity_type",
    "equity": "signed",
    "cash": "amount",
    "revenue": "amount",
    "debt": "amount",
    "valuation": "amount",
    "external_assets": "amount",
    "as_of": "date",
    "estimated": "text",
    "source": "text",
    "note": "text",
    # network format v2 (issue 15): external holders, holder classes, equity ranges,
    # mergers. ``external`` is kept as text so that an empty cell can mean "by type"
    # (type market is external by default); io/checks.py validates these columns.
    "external": "text",
    "holder_class": "holder_class",
    "equity_low": "signed",
    "equity_high": "signed",
    "merged_into": "text",
    "merged_on": "date",
}

#: commitment column -> type, in file order
COMMITMENT_COLUMNS: dict[str, str] = {
    "id": "id",
    "payer": "ref",
    "payee": "ref",
    "kind": "kind",
    "amount": "amount",
    "funded": "amount",
    "amount_low": "amount",
    "amount_high": "amount",
    "annual": "amount",
    "start": "date",
    "end": "date",
    "announced": "date",
    "lapsed_on": "date",
    "status": "status",
    "prior_status": "status_or_empty",
    "confidence": "confidence",
    "cancelable": "bool",
    "deal": "text",
    "in_totals": "bool",
    "estimated": "text",
    "source": "text",
    "note": "text",
}

ENTITY_REQUIRED = ("id",)
COMMITMENT_REQUIRED = ("payer", "payee", "kind", "amount")

ENUMS: dict[str, tuple[str, ...]] = {
    "entity_type": tuple(ENTITY_TYPES),
    "kind": tuple(KINDS),
    "status": tuple(STATUSES),
    "status_or_empty": tuple(STATUSES),
    "confidence": CONFIDENCE_LEVELS,
    "holder_class": tuple(HOLDER_CLASSES),
}

NUMERIC_ENTITY_FIELDS = ("equity", "cash", "revenue", "debt", "valuation", "external_assets",
                         "equity_low", "equity_high")

#: value used when a column is absent or a cell is empty (None: stays missing)
DEFAULTS: dict[str, object] = {
    "type": "other",
    "status": "committed",
    "cancelable": False,
    "in_totals": True,
}
