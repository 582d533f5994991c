"""The one output layer: every file finflow writes goes through here.

Rules (issue 21), kept in one place so that no writer can forget one:

- **Containment.** A folder writer only writes plain names (one path component, no
  ``..``, no separator) straight inside the folder it was given, never through a
  symbolic link: a symlink (dangling or not) at a target name, or as the named folder
  or file itself, is refused with a message naming it.
- **Atomic files.** Each file is written to a temporary name in its own folder,
  flushed and ``fsync``-ed, then renamed over the target (:func:`os.replace`): a reader
  never sees half a file, and a failure leaves the old file (or nothing) behind.
- **Nothing of the user's is overwritten without ``force``.** With ``force``, files of
  the same name are replaced; other files are kept, and the files finflow wrote there
  before that it does not write again are removed, but only those listed in the
  folder's manifest (:data:`MANIFEST`) whose content is still what finflow wrote
  (SHA-256 recorded), so no stale file of a previous report survives and a user's
  ``notes.txt``, or a report file the user edited, does.
- **Clear errors.** Operating-system errors (read-only folder, a path under a file,
  ``/proc``, no space left) become :class:`OutputError` naming the path (the CLI exits
  with status 2, no traceback).
- **Safe file names.** :class:`FileNames` maps entity ids to file names injectively
  and safely for any length and script: a readable ASCII slug, plus a short hash of
  the id whenever the slug is not the id itself or collides with another name.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import stat
import tempfile
import unicodedata
from pathlib import Path
from typing import IO, Any, Iterator

from ..errors import FinflowError

__all__ = ["OutputError", "OutputFolder", "FileNames", "MANIFEST", "safe_slug",
           "atomic_file", "write_file", "check_file_target", "os_problem"]

#: the manifest of the files finflow wrote in a folder (JSON; hidden file)
MANIFEST = ".finflow-manifest.json"

#: longest readable part of a file name made from an id (bytes of ASCII)
SLUG_MAX = 60

_TMP_PREFIX = ".finflow-tmp-"
_NAME_MAX = 255      # bytes, the usual file-system limit for one path component
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}


class OutputError(FinflowError):
    """A file cannot (or must not) be written; the message names the path."""


# ---- error messages ----------------------------------------------------------------------
_ERRNO_TEXT = {
    errno.EACCES: "permission denied (is the folder read-only?)",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder",
    errno.ENOENT: "no such folder (or the file system does not allow creating it)",
    errno.ENAMETOOLONG: "file name too long",
    errno.ELOOP: "too many symbolic links",
    errno.EEXIST: "exists",
    errno.EXDEV: "crosses file systems",
}


def os_problem(exc: OSError) -> str:
    """A short, plain description of an operating-system error."""
    return _ERRNO_TEXT.get(exc.errno or -1, exc.strerror or str(exc))


def _error(path: str | Path, problem: str, exc: OSError | None = None) -> OutputError:
    where = exc.filename if exc is not None and exc.filename else path
    return OutputError(f"{where}: {problem}")


# ---- file names --------------------------------------------------------------------------
def _hash(text: str, n: int) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def safe_slug(text: str, max_len: int = SLUG_MAX) -> str:
    """A readable ASCII file-name part of ``text``: accents dropped, every run of other
    characters replaced by ``_``, no leading or trailing ``._-``, at most ``max_len``
    characters; empty when nothing readable is left (then callers add a hash).

    >>> safe_slug("Crédit Agricole / CIB"), safe_slug("北京"), safe_slug("../etc")
    ('Credit_Agricole_CIB', '', 'etc')
    """
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", folded).strip("._-")
    slug = re.sub(r"\.{2,}", ".", slug)
    return slug[:max_len].rstrip("._-")


class FileNames:
    """Injective, file-system-safe names for ids, within one folder.

    ``name(id)`` is ``prefix + slug + suffix``, where the slug is :func:`safe_slug` of
    the id when that is the id itself (and no other name takes it, compared without
    case, as case-insensitive file systems do), else the slug (or ``id``) followed by
    ``-`` and the first 10 hex digits of the id's SHA-256, lengthened in the
    (astronomically unlikely) event of a clash. The same id always gets the same name;
    two ids never share one: ``a b`` -> ``a_b-<hash>``, ``a_b`` -> ``a_b``, two CJK
    names -> ``id-<hash1>``, ``id-<hash2>``, a 300-character id -> 60 characters and a
    hash.

    >>> names = FileNames(prefix="contagion-", suffix=".csv")
    >>> names.name("a_b"), names.name("a b") != names.name("a_b"), names.name("a_b")
    ('contagion-a_b.csv', True, 'contagion-a_b.csv')
    """

    def __init__(self, prefix: str = "", suffix: str = ""):
        self.prefix, self.suffix = prefix, suffix
        self._by_id: dict[str, str] = {}
        self._taken: dict[str, str] = {}     # casefolded name -> id

    def name(self, ident: Any, suffix: str | None = None) -> str:
        """The file name of ``ident`` (with another ``suffix`` when given)."""
        ident = str(ident)
        key = ident if suffix is None else f"{ident}\0{suffix}"
        if key in self._by_id:
            return self._by_id[key]
        end = self.suffix if suffix is None else suffix
        slug = safe_slug(ident)
        plain = (slug == ident and slug.lower() not in _WINDOWS_RESERVED
                 and len((self.prefix + slug + end).encode()) <= _NAME_MAX)
        candidates = ([slug] if plain else []) + [
            f"{slug or 'id'}-{_hash(ident, n)}" for n in (10, 16, 64)]
        for stem in candidates:
            name = f"{self.prefix}{stem}{end}"
            folded = name.casefold()
            if self._taken.get(folded, key) == key:
                self._taken[folded] = key
                self._by_id[key] = name
                return name
        raise OutputError(f"{ident!r}: no unique file name (SHA-256 collision)")  # pragma: no cover


def _check_name(folder: Path, name: str) -> None:
    bad = (not name or name in (".", "..") or "/" in name or "\0" in name
           or (os.sep != "/" and os.sep in name) or (os.altsep and os.altsep in name)
           or len(name.encode("utf-8", "surrogatepass")) > _NAME_MAX)
    if bad:
        raise _error(folder / name if name else folder,
                     "not a plain file name inside the output folder")


# ---- atomic writing ----------------------------------------------------------------------
class _HashingWriter(io.RawIOBase):
    """A binary sink that hashes what it writes (for the manifest)."""

    def __init__(self, raw: IO[bytes]):
        self.raw, self.sha = raw, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.sha.update(data)
        self.raw.write(data)
        return len(data)


def _refuse_special(path: Path, st: os.stat_result | None, force: bool, hint: str) -> None:
    """Refuse a symlink, a folder or a device at ``path``; an existing regular file
    unless ``force``."""
    if st is None:
        return
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(path)
        state = "" if path.exists() else ", dangling"
        raise _error(path, f"is a symbolic link (to {target}{state}); finflow does not "
                           "write through links: remove it or choose another name")
    if stat.S_ISDIR(st.st_mode):
        raise _error(path, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise _error(path, "exists and is not a regular file (a device, pipe or socket); "
                           "choose another name")
    if not force:
        raise _error(path, f"exists; {hint}")


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _error(path, os_problem(exc), exc) from None


@contextlib.contextmanager
def _atomic(folder: Path, name: str, *, text: bool, encoding: str = "utf-8",
            newline: str | None = "") -> Iterator[tuple[IO[Any], _HashingWriter]]:
    """Open a temporary file in ``folder``; on a clean exit, fsync it and rename it to
    ``name``; on any error, remove it."""
    target = folder / name
    try:
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".part", dir=folder)
    except OSError as exc:
        raise _error(target, f"cannot write: {os_problem(exc)}") from None
    raw = os.fdopen(fd, "wb")
    sink = _HashingWriter(raw)
    handle: IO[Any] = (io.TextIOWrapper(io.BufferedWriter(sink), encoding=encoding,
                                        newline=newline)
                       if text else io.BufferedWriter(sink))
    try:
        try:
            yield handle, sink
            handle.flush()
            raw.flush()
            os.fsync(raw.fileno())
        finally:
            with contextlib.suppress(Exception):
                handle.close() if not handle.closed else None
            with contextlib.suppress(Exception):
                raw.close()
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _error(target, f"cannot write: {os_problem(exc)}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _probe(folder: Path, shown: Path, problem: str) -> None:
    """Try to write in ``folder`` (a temporary file, removed at once) before a long
    computation; an OS error becomes ``SHOWN: PROBLEM: reason``."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise _error(shown, f"{problem}: {os_problem(exc)}") from None


def check_file_target(path: str | Path, *, overwrite: bool = False,
                      exists_hint: str = "choose another file or pass --force to replace it"
                      ) -> None:
    """Raise :class:`OutputError` when :func:`atomic_file` would refuse ``path`` (call it
    before a long computation)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    _check_name(folder, target.name)
    _refuse_special(target, _lstat(target), overwrite, exists_hint)
    if _lstat(folder) is not None and folder.is_dir():
        _probe(folder, target, "cannot write")


@contextlib.contextmanager
def atomic_file(path: str | Path, *, overwrite: bool = False, binary: bool = False,
                exists_hint: str = "choose another file or pass --force to replace it"
                ) -> Iterator[IO[Any]]:
    """Write one file atomically: yields a handle to a temporary file beside ``path``.

    Refused with :class:`OutputError`: ``path`` is a symbolic link (dangling or not),
    a folder or a device; it exists and ``overwrite`` is false; its folder does not
    exist or cannot be written.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    check_file_target(target, overwrite=overwrite, exists_hint=exists_hint)
    try:
        folder_ok = folder.is_dir()
    except OSError as exc:
        raise _error(folder, os_problem(exc), exc) from None
    if not folder_ok:
        problem = ("is a file, not a folder" if folder.exists()
                   else "does not exist; create the folder first")
        raise _error(folder, problem)
    with _atomic(folder, target.name, text=not binary) as (handle, _):
        yield handle


def write_file(path: str | Path, data: str | bytes, *, overwrite: bool = False,
               exists_hint: str = "choose another file or pass --force to replace it"
               ) -> Path:
    """Write ``data`` to ``path`` atomically, by the rules of :func:`atomic_file`."""
    with atomic_file(path, overwrite=overwrite, binary=isinstance(data, bytes),
                     exists_hint=exists_hint) as f:
        f.write(data)
    return Path(path)


# ---- folders -----------------------------------------------------------------------------
class OutputFolder:
    """A folder that finflow writes several files into, by the rules of this module.

    Parameters
    ----------
    path : str or Path
        The folder (created with its parents when missing). A symbolic link there is
        refused, as is a file.
    force : bool
        Replace files of the same name and remove this writer's stale files (see the
        module's notes). Without it, an existing file is never replaced.
    writer : str
        Who writes (``"report"``, ``"timeline-charts"``): the manifest keeps one list per
        writer, so that one writer's ``--force`` removes only its own stale files.
    require_empty : bool
        Refuse a folder that holds anything at all unless ``force`` (the report's rule).
    option : str
        The option that named the folder, for messages (``-o``, ``--charts``).

    manifest : bool
        Keep a manifest (default). Without one (a network's own data folder, whose
        file names are fixed), :meth:`finish` removes nothing and writes nothing.

    Call :meth:`finish` after the last file: it removes the stale files and writes the
    manifest.
    """

    def __init__(self, path: str | Path, *, force: bool = False, writer: str = "finflow",
                 require_empty: bool = False, option: str = "--output",
                 manifest: bool = True):
        self.given = Path(path)
        self.force, self.writer, self.option = force, writer, option
        self.keep_manifest = manifest
        self.written: dict[str, str] = {}      # name -> sha256
        self.removed: list[str] = []
        self.kept_stale: list[str] = []
        exists = self.preflight(path, force=force, writer=writer,
                                require_empty=require_empty)
        if not exists:
            try:
                self.given.mkdir(parents=True)
            except FileExistsError:
                raise _error(self.given, "exists and is not a folder") from None
            except OSError as exc:
                raise _error(self.given, f"cannot create the folder: {os_problem(exc)}",
                             exc) from None
        self.path = Path(os.path.realpath(self.given))
        self._manifest = self._read_manifest()

    @staticmethod
    def preflight(path: str | Path, *, force: bool = False, writer: str = "finflow",
                  require_empty: bool = False) -> bool:
        """Check, before any long computation, that the folder can be used, without
        creating anything; returns whether it exists. Raises :class:`OutputError`."""
        given = Path(path)
        st = _lstat(given)
        if st is not None and stat.S_ISLNK(st.st_mode):
            target = os.readlink(given)
            state = "" if given.exists() else ", dangling"
            raise _error(given, f"is a symbolic link (to {target}{state}); finflow does not "
                                "write through links: name the folder itself")
        if st is not None and not stat.S_ISDIR(st.st_mode):
            raise _error(given, "exists and is not a folder")
        if st is None:
            # the nearest existing ancestor must be a folder we may write in
            parent = given.absolute().parent
            while True:
                pst = _lstat(parent)
                if pst is not None:
                    break
                parent = parent.parent
            if not stat.S_ISDIR(os.stat(parent).st_mode):
                raise _error(given, f"cannot create the folder: {parent} is a file, not a "
                                    "folder")
            # try it: create the first missing folder and remove it again
            first = given.absolute()
            while first.parent != parent:
                first = first.parent
            try:
                os.mkdir(first)
                os.rmdir(first)
            except OSError as exc:
                raise _error(given, f"cannot create the folder: {os_problem(exc)}") from None
            return False
        if require_empty and not force:
            try:
                entries = os.listdir(given)
            except OSError as exc:
                raise _error(given, os_problem(exc), exc) from None
            if entries:
                raise _error(given, f"is not empty; choose another folder or pass --force "
                                    f"to replace the {writer}'s own files there (other "
                                    "files are kept)")
        _probe(given, given, "cannot write here")
        return True

    # -- manifest
    def _read_manifest(self) -> dict[str, Any]:
        p = self.path / MANIFEST
        st = _lstat(p)
        if st is None or not stat.S_ISREG(st.st_mode):
            return {}
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and isinstance(data.get("writers"), dict) else {}

    def _previous(self) -> dict[str, str]:
        files = self._manifest.get("writers", {}).get(self.writer, {})
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}

    def _target(self, name: str) -> Path:
        _check_name(self.given, name)
        if name == MANIFEST or name.startswith(_TMP_PREFIX):
            raise _error(self.given / name, "is a name finflow keeps for itself")
        if name in self.written:
            raise _error(self.given / name, "written twice in one run (two tables share "
                                            "a file name)")
        target = self.path / name
        if target.parent != self.path:         # pragma: no cover (names are plain)
            raise _error(self.given / name, "outside the output folder")
        ours = name in self._previous()
        hint = (f"pass --force to replace it (a file of the same name, not finflow's, "
                f"is in {self.given})")
        _refuse_special(self.given / name, _lstat(target), self.force or ours, hint)
        return target

    # -- writing
    @contextlib.contextmanager
    def open(self, name: str, *, binary: bool = False) -> Iterator[IO[Any]]:
        """A handle to write file ``name`` of the folder atomically."""
        self._target(name)
        with _atomic(self.path, name, text=not binary) as (handle, sink):
            yield handle
        self.written[name] = sink.sha.hexdigest()

    def write_text(self, name: str, text: str) -> Path:
        with self.open(name) as f:
            f.write(text)
        return self.given / name

    def write_bytes(self, name: str, data: bytes) -> Path:
        with self.open(name, binary=True) as f:
            f.write(data)
        return self.given / name

    def write_csv(self, name: str, frame: Any, *, raw: bool = False) -> Path:
        """A table as CSV; cells a spreadsheet would evaluate are neutralised unless
        ``raw`` (see :func:`finflow.render.csv_safe_frame`)."""
        from ..render import csv_text_to
        with self.open(name) as f:
            csv_text_to(frame, f, raw=raw)
        return self.given / name

    def finish(self) -> list[Path]:
        """Remove this writer's stale files (listed in the manifest, unchanged since
        finflow wrote them, not written this time) and write the manifest. Returns the
        paths written."""
        if not self.keep_manifest:
            return [self.given / n for n in self.written]
        for name, sha in self._previous().items():
            if name in self.written or name == MANIFEST or "/" in name or name in ("", ".", ".."):
                continue
            p = self.path / name
            st = _lstat(p)
            if st is None:
                continue
            if not stat.S_ISREG(st.st_mode) or _file_sha(p) != sha:
                self.kept_stale.append(name)    # changed (or replaced) by the user: theirs now
                continue
            try:
                os.unlink(p)
                self.removed.append(name)
            except OSError as exc:
                raise _error(p, f"cannot remove this stale file: {os_problem(exc)}",
                             exc) from None
        writers = dict(self._manifest.get("writers", {}))
        writers[self.writer] = dict(sorted(self.written.items()))
        data = {"about": "files written by finflow here (finflow --force removes only "
                         "these, and only while unchanged)", "writers": writers}
        man = self.path / MANIFEST
        _refuse_special(self.given / MANIFEST, _lstat(man), True, "")
        with _atomic(self.path, MANIFEST, text=True) as (f, _):
            f.write(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        return [self.given / n for n in self.written]


def _file_sha(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()
