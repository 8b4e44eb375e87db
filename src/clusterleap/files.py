"""Reading YAML files with errors that name the place, and writing outputs so that bad input or a failure never
leaves half-written files behind.

A file is written beside its target under a temporary name and renamed into place; a folder of tables is written
into a temporary folder and its files moved into place only once all of them exist.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["read_yaml", "write_atomic_dir", "write_atomic_file", "write_tables"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _at(exc: OSError, target: Path, what: str = "cannot write there") -> OSError:
    """The same kind of error, naming the user's target rather than a temporary file."""
    return type(exc)(exc.errno, f"{what} ({exc.strerror})", str(target))


def _make_parent(target: Path) -> None:
    """Create the folder a target goes into, or fail naming the target (not a temporary file)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _at(exc, target, "cannot create its folder") from None
    if not os.access(target.parent, os.W_OK):
        raise PermissionError(errno.EACCES, "its folder is not writable", str(target))


def write_atomic_file(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path`` (same suffix, so writers that choose a format by
    extension still do), then rename it into place: readers see the old file or the whole new one, never a part.
    The file gets the usual permissions (0666 less the umask), not the temporary file's private ones."""
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder (expected a file name to write)", str(target))
    _make_parent(target)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    except OSError as exc:
        raise _at(exc, target) from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def write_atomic_dir(directory: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a fresh temporary folder beside ``directory``, then move each file into place; on
    error nothing in ``directory`` changes. Existing files of the same names are replaced; others are left alone."""
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is a file (expected a folder to write into)", str(target))
    _make_parent(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise _at(exc, target) from None
    try:
        write(tmp)
        target.mkdir(exist_ok=True)
        for src in sorted(tmp.rglob("*")):
            if src.is_file():
                dst = target / src.relative_to(tmp)
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def write_tables(directory: Path, tables: Mapping[str, pd.DataFrame], fmt: str = "csv") -> None:
    """Write each table as ``directory/<name>.<fmt>`` (a name may hold sub-folders, e.g. ``stages/raw``): CSV with
    ten significant digits, or Parquet."""
    for name, df in tables.items():
        path = directory / f"{name}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            df.to_csv(path, float_format="%.10g")
        else:
            df.to_parquet(path)


def read_yaml(path: str | Path, error: type[Exception]) -> Any:
    """Parse a YAML file. A missing file, text that is not UTF-8, or invalid YAML raises ``error`` with a message
    naming the file (and the line and column of a syntax error)."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise error(f"{path}{at}: invalid YAML ({getattr(exc, 'problem', None) or exc})") from None
