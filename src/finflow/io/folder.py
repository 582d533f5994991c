"""The folder format: ``entities.csv``, ``commitments.csv`` and an optional ``network.yaml``."""
from __future__ import annotations

import csv
import datetime as _dt
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..errors import NetworkFileError, Problem
from ..schema import COMMITMENT_COLUMNS, ENTITY_COLUMNS
from .tables import Locator, coerce_tables

__all__ = ["read_folder", "write_folder", "read_csv_with_lines", "read_metadata",
           "ENTITIES_FILE", "COMMITMENTS_FILE", "METADATA_FILE"]

ENTITIES_FILE = "entities.csv"
COMMITMENTS_FILE = "commitments.csv"
METADATA_FILE = "network.yaml"


def read_csv_with_lines(path: Path, shown: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV as text cells, with the 1-based file line where each record starts.

    The fast path is pandas; when the file has quoted newlines or blank lines (so that
    record i is not on line i + 2) the lines are recounted with the csv module.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NetworkFileError([Problem(shown, None, "", f"cannot read: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NetworkFileError([Problem(shown, line, "", "is not UTF-8 text")]) from None
    if not text.strip():
        raise NetworkFileError([Problem(shown, None, "", "is empty (a header line is needed)")])
    try:
        # header=None: a row with more cells than the header is an error (pandas would
        # otherwise take the first column as an index and shift every cell silently)
        raw = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                          skip_blank_lines=True, skipinitialspace=False)
    except pd.errors.ParserError:
        raise NetworkFileError(_too_many_cells(text, shown)) from None
    except ValueError as exc:
        raise NetworkFileError([Problem(shown, None, "", f"is not valid CSV: {exc}")]) from None
    header = [str(c).strip() for c in raw.iloc[0].tolist()]
    seen: set[str] = set()
    dups = [c for c in header if c in seen or seen.add(c)]  # type: ignore[func-returns-value]
    if dups:
        raise NetworkFileError([Problem(shown, 1, c, "column appears more than once")
                                for c in dict.fromkeys(dups)])
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = header
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if n_lines == len(frame) + 1:
        lines = np.arange(2, len(frame) + 2)
    else:
        lines_list: list[int] = []
        reader = csv.reader(io.StringIO(text))
        prev = 0
        header_seen = False
        for row in reader:
            start = prev + 1
            prev = reader.line_num
            if not row or all(not c.strip() for c in row) and len(row) <= 1:
                continue
            if not header_seen:
                header_seen = True
                continue
            lines_list.append(start)
        lines = np.asarray(lines_list[: len(frame)], dtype=int)
        if len(lines) < len(frame):  # should not happen; never crash on line numbers
            lines = np.concatenate([lines, np.arange(len(lines) + 2, len(frame) + 2)])
    empty = [c for c in frame.columns if c == ""]
    if empty:  # an unnamed column: keep it only if it is empty (a trailing comma)
        bad = (frame.loc[:, [c == "" for c in frame.columns]] != "").any(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise NetworkFileError([Problem(shown, int(lines[i]), "",
                                            "has a value in a column without a name")])
        frame = frame.loc[:, [c != "" for c in frame.columns]]
    return frame, lines


def _too_many_cells(text: str, shown: str) -> list[Problem]:
    """Every record with more cells than the header, with the line where it starts."""
    reader = csv.reader(io.StringIO(text))
    problems: list[Problem] = []
    width = None
    prev = 0
    for row in reader:
        start = prev + 1
        prev = reader.line_num
        if not row:
            continue
        if width is None:
            width = len(row)
            continue
        if len(row) > width:
            problems.append(Problem(shown, start, "", f"has {len(row)} cells but the header has "
                                    f"{width} (quote a field that contains a comma)"))
    return problems or [Problem(shown, None, "", "is not valid CSV")]


def read_metadata(path: Path, shown: str) -> dict[str, Any]:
    """Read ``network.yaml`` into a dict (dates as ISO text)."""
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise NetworkFileError([Problem(shown, None if line is None else line + 1, "",
                                        f"is not valid YAML: {getattr(exc, 'problem', exc)}")]
                               ) from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise NetworkFileError([Problem(shown, 1, "", "must be a mapping of keys to values")])
    return _plain(meta)


def _plain(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_folder(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Read and validate a network folder; returns (entities, commitments, metadata)."""
    folder = Path(path)
    problems: list[Problem] = []
    for name in (ENTITIES_FILE, COMMITMENTS_FILE):
        if not (folder / name).is_file():
            problems.append(Problem(str(folder / name), None, "", "file not found"))
    if problems:
        raise NetworkFileError(problems)
    ent_file = str(folder / ENTITIES_FILE)
    com_file = str(folder / COMMITMENTS_FILE)
    ent_raw, ent_lines = read_csv_with_lines(folder / ENTITIES_FILE, ent_file)
    com_raw, com_lines = read_csv_with_lines(folder / COMMITMENTS_FILE, com_file)
    meta: dict[str, Any] = {}
    if (folder / METADATA_FILE).is_file():
        meta = read_metadata(folder / METADATA_FILE, str(folder / METADATA_FILE))
    entities, commitments = coerce_tables(
        ent_raw, com_raw, Locator(ent_file, ent_lines), Locator(com_file, com_lines))
    return entities, commitments, meta


def _cell_frame(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    out = frame.copy()
    for col, typ in columns.items():
        if col not in out.columns:
            continue
        if typ == "bool":
            out[col] = out[col].map(lambda v: "true" if bool(v) else "false")
        elif typ in ("amount", "signed"):
            out[col] = out[col].map(_num_text)
    ordered = [c for c in columns if c in out.columns] + [c for c in out.columns if c not in columns]
    return out[ordered]


def _num_text(v: float) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


def write_folder(entities: pd.DataFrame, commitments: pd.DataFrame, metadata: dict[str, Any],
                 path: str | Path, overwrite: bool = False) -> Path:
    """Write the folder format. Existing files are kept unless ``overwrite`` is true.

    Files go through :class:`finflow.io.output.OutputFolder` (atomic, never through a
    symbolic link, never outside the folder). They are data files that finflow reads
    back, so their cells are written exactly (no spreadsheet neutralising).
    """
    from ..errors import FinflowError
    from .output import OutputFolder
    folder = Path(path)
    names = [ENTITIES_FILE, COMMITMENTS_FILE]
    meta = {k: v for k, v in metadata.items() if k != "path"}
    if meta:
        names.append(METADATA_FILE)
    if not overwrite:
        existing = [str(folder / n) for n in names if os.path.lexists(folder / n)]
        if existing:
            raise FinflowError(f"will not overwrite {', '.join(existing)} (pass overwrite=True)")
    out = OutputFolder(folder, force=overwrite, writer="network", option="-o",
                       manifest=False)
    out.write_csv(ENTITIES_FILE, _cell_frame(entities, ENTITY_COLUMNS), raw=True)
    out.write_csv(COMMITMENTS_FILE, _cell_frame(commitments, COMMITMENT_COLUMNS), raw=True)
    if meta:
        out.write_text(METADATA_FILE, yaml.safe_dump(meta, sort_keys=False,
                                                     allow_unicode=True))
    out.finish()
    return folder
