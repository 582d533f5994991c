"""What every analysis returns: a small frozen dataclass with named fields.

Each result offers ``to_frame()`` (its main table as a pandas DataFrame), ``to_dict()``
(JSON-ready: plain floats, ints, strings, lists, dicts; ``None`` where a value is
missing, never NaN), ``tables()`` (every table it holds, by name), ``summary()`` (the key
findings as short sentences) and ``notes()`` (the conventions it was computed under).
:mod:`finflow.render` turns any result into text, Markdown, JSON or CSV.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from typing import Any

import numpy as np
import pandas as pd

from .text import round_sig

__all__ = ["Result", "jsonable", "records"]


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy scalars, NaN, tuples, sets, DataFrames and dataclasses turned
    into JSON-ready values (NaN and infinities become ``None``; floats rounded to 12
    significant digits, the precision the data carries, so that a float sum prints as
    ``55.1`` and not ``55.099999999999994``)."""
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return round_sig(x) if math.isfinite(x) else None
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, (pd.Timestamp, _dt.date)):
        return obj.isoformat()[:10]
    if isinstance(obj, pd.DataFrame):
        return records(obj)
    if isinstance(obj, pd.Series):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [jsonable(v) for v in sorted(obj, key=str)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return obj.to_dict()
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return str(obj)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-ready row dicts."""
    cols = [str(c) for c in frame.columns]
    return [{c: jsonable(v) for c, v in zip(cols, row)}
            for row in frame.itertuples(index=False, name=None)]


class Result:
    """Mixin for result dataclasses. Subclasses set ``title`` and override what differs.

    The default ``to_dict`` converts every dataclass field with :func:`jsonable`
    (DataFrames become lists of records); the default ``tables`` is ``{"main":
    to_frame()}``.

    Display (issue 19): ``repr(result)`` is one short line (what it is and its headline
    numbers, :func:`finflow.display.headline`), ``_repr_html_`` the notebook view (its
    summary, the first rows of each table, the conventions folded away); ``plot`` and
    ``plot_svg`` draw the report's charts (:mod:`finflow.plot`); ``to_parquet`` writes
    every table. Subclasses are dataclasses: a ``@dataclass`` writes its own
    ``__repr__`` (a dump of every field, tens of thousands of characters) unless the
    class already defines one, so :meth:`__init_subclass__` gives each subclass the short
    one before the decorator runs (a subclass that writes its own keeps it).
    """

    title: str = "Result"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__repr__" not in cls.__dict__:
            # in the class's own namespace, so that dataclass(repr=True) leaves it alone
            cls.__repr__ = Result.__repr__  # type: ignore[method-assign]

    # ---- display (finflow.display, finflow.plot: imported when used) -----------------
    def __repr__(self) -> str:
        from .display import result_repr
        return result_repr(self)

    def _repr_html_(self) -> str:
        from .display import result_html
        return result_html(self)

    def headline(self) -> str:
        """The headline numbers in a few words (what ``repr`` shows after the class name)."""
        from .display import headline
        return headline(self)

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """Draw the chart the report draws of this result with matplotlib (``pip install
        finflow[plot]``) on ``ax`` (a new figure when None) and return ``ax``; see
        :func:`finflow.plot.plot`."""
        from .plot import plot
        return plot(self, ax=ax, **options)

    def plot_svg(self, **options: Any) -> str:
        """The report's chart of this result as a self-contained SVG (no matplotlib
        needed); see :func:`finflow.plot.plot_svg`."""
        from .plot import plot_svg
        return plot_svg(self, **options)

    def to_parquet(self, folder: Any, *, overwrite: bool = False) -> dict[str, Any]:
        """Write every table of :meth:`tables` as ``<table name>.parquet`` into
        ``folder`` (created when missing); existing files are refused unless
        ``overwrite``. Returns table name -> path; see :func:`finflow.display.to_parquet`."""
        from .display import to_parquet
        return to_parquet(self, folder, overwrite=overwrite)

    def to_frame(self) -> pd.DataFrame:
        """The main table: the first DataFrame field, else one row of the scalar fields."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame):
                return value
        return pd.DataFrame([{f.name: jsonable(getattr(self, f.name))
                              for f in dataclasses.fields(self)
                              if not isinstance(getattr(self, f.name), (list, dict, tuple))}])

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"main": self.to_frame()}

    def summary(self) -> list[str]:
        return []

    def notes(self) -> list[str]:
        return []
