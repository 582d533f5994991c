"""Reading and writing networks: the folder format and networkx's graph formats."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import FinflowError
from .folder import read_folder, write_folder
from .graphformats import FORMATS_BY_SUFFIX, read_graph_file, write_graph_file
from .output import OutputError, OutputFolder, os_problem

__all__ = ["read_any", "write_any", "FORMATS"]

#: ``folder`` (CSV tables), ``parquet`` (a folder with Parquet tables), and networkx's
#: graph file formats
FORMATS = ("folder", "parquet", "json", "graphml", "gexf")


def read_any(path: str | Path, fmt: str | None = None, *, delimiter: str = ",",
             encoding: str | None = None
             ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(entities, commitments, metadata) from a folder (CSV or Parquet tables) or a
    .json/.graphml/.gexf file; ``delimiter`` and ``encoding`` apply to CSV tables."""
    p = Path(path)
    if fmt in (None, "folder", "parquet") and p.is_dir():
        return read_folder(p, delimiter=delimiter, encoding=encoding)
    if fmt in ("folder", "parquet"):
        raise FinflowError(f"{p}: not a folder")
    if not p.exists():
        raise FinflowError(f"{p}: no such file or folder")
    return read_graph_file(p, fmt)


def write_any(entities: pd.DataFrame, commitments: pd.DataFrame, metadata: dict[str, Any],
              path: str | Path, fmt: str | None = None, overwrite: bool = False) -> Path:
    """Write in ``fmt`` (default: by the path's suffix, a folder when it has none)."""
    p = Path(path)
    if fmt is None:
        fmt = FORMATS_BY_SUFFIX.get(p.suffix.lower(), "folder")
    if fmt not in FORMATS:
        raise FinflowError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    if fmt in ("folder", "parquet"):
        return write_folder(entities, commitments, metadata, p, overwrite=overwrite,
                            tables="csv" if fmt == "folder" else "parquet")
    if os.path.lexists(p) and not overwrite:
        raise FinflowError(f"will not overwrite {p} (pass overwrite=True)")
    if p.parent and not p.parent.exists():
        OutputFolder.preflight(p.parent)
        try:
            p.parent.mkdir(parents=True)
        except OSError as exc:
            raise OutputError(f"{p.parent}: cannot create the folder: {os_problem(exc)}") from None
    return write_graph_file(entities, commitments, metadata, p, fmt, overwrite=overwrite)
