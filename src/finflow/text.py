"""Number formatting for people: the one place where finflow turns numbers into text.

:mod:`finflow.render` (tables), :mod:`finflow.report` (findings) and the analyses'
``summary()`` sentences all format numbers with :func:`format_number` and
:func:`format_percent`, so that one figure reads the same wherever it lands. This module
imports nothing from the analyses (the direction of imports: rendering imports the
analyses, never the other way round; the analyses may import this leaf module).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MISSING", "format_number", "format_percent", "round_sig", "cell_text"]

MISSING = "-"


def format_number(x: Any, digits: int | None = None) -> str:
    """A number for people: thousands separators for large values, 2 decimals from 1,
    3 below 1, scientific below 0.001; ``-`` when missing.

    >>> format_number(1234.5), format_number(12.3456), format_number(0.25), format_number(None)
    ('1,234', '12.35', '0.250', '-')
    """
    if x is None or x is pd.NA:
        return MISSING
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if not math.isfinite(v):
            return MISSING if math.isnan(v) else ("inf" if v > 0 else "-inf")
        if digits is not None:
            return f"{v:,.{digits}f}"
        if v == 0:
            return "0"
        a = abs(v)
        if a >= 1000:
            return f"{v:,.0f}"
        if a >= 1:
            return f"{v:,.2f}"
        if a >= 0.001:
            return f"{v:.3f}"
        return f"{v:.2e}"
    if isinstance(x, (list, tuple, set)):
        return " > ".join(str(i) for i in x) if isinstance(x, (list, tuple)) else ", ".join(
            sorted(map(str, x)))
    return str(x)


def format_percent(x: Any, digits: int = 1) -> str:
    """A share as a percentage (``0.815`` -> ``81.5%``); ``n/a`` when missing.

    >>> format_percent(0.8152), format_percent(None), format_percent(0.5, 0)
    ('81.5%', 'n/a', '50%')
    """
    if x is None or x is pd.NA:
        return "n/a"
    v = float(x)
    if not math.isfinite(v):
        return "n/a"
    return f"{100 * v:.{digits}f}%"


def round_sig(x: float, digits: int = 12) -> float:
    """``x`` rounded to ``digits`` significant digits, so that binary noise of float sums
    (``55.099999999999994``) prints as the figure the data carries (``55.1``).

    >>> round_sig(55.099999999999994), round_sig(0.1 + 0.2), round_sig(1e-20)
    (55.1, 0.3, 1e-20)
    """
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def cell_text(value: Any) -> str:
    """A table cell as text: ``''`` when missing (None, NA, NaT, NaN).

    >>> cell_text(float("nan")), cell_text(None), cell_text("a"), cell_text(2)
    ('', '', 'a', '2')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)
