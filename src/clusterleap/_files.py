"""Reading YAML files with errors that name the place, and writing outputs so that bad input, a failure, a kill or
a second writer never leaves a half-written or mixed output behind (docs/limits.md).

Reading: one YAML reader for every user file (framework, recipe, space, judgements, grading, types, actions). It
refuses aliases that expand beyond :data:`YAML_MAX_NODES` nodes ("billion laughs"), nesting deeper than
:data:`YAML_MAX_DEPTH`, duplicate keys, and files larger than :data:`YAML_MAX_BYTES`; it reads plain scalars by the
YAML 1.2 core schema, so that ``NO`` or ``off`` stay text, ``007`` stays text and ``2e0`` is a number.

Writing: an output is checked first (never the current folder, never a special file such as a FIFO or a device,
never an existing file or non-empty folder unless ``force``), built in a work folder inside the target's own file
system while a lock on its folder keeps other clusterleap writers out, and put in place by one rename (folders are
swapped with ``renameat2(RENAME_EXCHANGE)`` where Linux offers it). The work folder (``.<name>.clusterleap-<16 hex
digits>``) is gone when the write ends however it ends, a SIGKILL included: see :func:`_work_folder`.

Every text cell of every CSV and xlsx the project writes goes through :func:`neutralise` (OWASP, "CSV
Injection"): text a spreadsheet would run as a formula gets a leading apostrophe; numbers are never changed (tables
are written by :mod:`clusterleap._tables`, which applies it to every cell; this module needs no pandas, so that the
commands that only read YAML start quickly).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import math
import os
import re
import secrets
import shutil
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, cast

import yaml

__all__ = [
    "FORMULA_START",
    "WORK_NAME",
    "YAML_MAX_BYTES",
    "YAML_MAX_DEPTH",
    "YAML_MAX_NODES",
    "check_target",
    "neutralise",
    "neutralise_workbook",
    "quote_cell",
    "read_yaml",
    "sweep",
    "write_atomic_dir",
    "write_atomic_file",
]

#: Limits of the YAML reader (docs/limits.md).
YAML_MAX_BYTES = 10_000_000
YAML_MAX_DEPTH = 50
YAML_MAX_NODES = 200_000

#: First characters that make a spreadsheet treat typed text as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBERLIKE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?$|^[+-]?(inf|infinity|nan)$", re.IGNORECASE)
TMP_TAG = ".clusterleap-"


# -- spreadsheet formula injection ----------------------------------------------------------------------------------
def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula (it starts with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return and is not a plain number such as ``-1.5``); else unchanged."""
    if text.startswith(FORMULA_START) and not _NUMBERLIKE.match(text):
        return "'" + text
    return text


def quote_cell(cell: Any) -> Any:
    """An openpyxl cell whose text a spreadsheet would run as a formula made a plain string cell with Excel's
    quote prefix (the text itself is kept, and stays text when a user edits the cell); other cells unchanged."""
    value = cell.value
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def neutralise_workbook(book: Any) -> None:
    """Apply :func:`quote_cell` to every cell of an openpyxl workbook (before it is saved)."""
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                quote_cell(cell)


# -- checking a target ----------------------------------------------------------------------------------------------
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _at(exc: OSError, target: Path, what: str = "cannot write there") -> OSError:
    """The same kind of error, naming the user's target rather than a temporary file."""
    return type(exc)(exc.errno, f"{what} ({exc.strerror or exc})", str(target))


def check_target(path: str | Path, *, folder: bool, force: bool = False) -> Path:
    """Refuse an output target that must not be written: the current folder (or one holding it), a special file
    (FIFO, device, socket), a folder where a file is expected or the reverse, and, unless ``force``, an existing
    file or a non-empty folder. Return the target as a Path."""
    raw = str(path)
    target = Path(path)
    if raw.strip() in ("", "."):
        raise IsADirectoryError(errno.EISDIR, "is the current folder (name a new folder or file to write)",
                                raw or "''")
    try:
        here = Path.cwd().resolve()
        if target.resolve() == here or target.resolve() in here.parents:
            raise IsADirectoryError(errno.EISDIR, "is or holds the current folder (name a new folder or file to "
                                    "write)", raw)
    except FileNotFoundError:
        pass
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise _at(exc, target, "cannot inspect it") from None
    if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
        raise OSError(errno.EINVAL, "is a special file (FIFO, device or socket); clusterleap writes only regular "
                      "files and folders", raw)
    if folder and not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "is a file (expected a folder to write into)", raw)
    if not folder and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder (expected a file name to write)", raw)
    if not force:
        if folder and any(os.scandir(target)):
            raise FileExistsError(errno.EEXIST, "exists and is not empty (use --force to replace it as a whole)",
                                  raw)
        if not folder:
            raise FileExistsError(errno.EEXIST, "exists (use --force to replace it)", raw)
    return target


def _make_parent(target: Path) -> None:
    """Create the folder a target goes into, or fail naming the target (not a temporary file)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _at(exc, target, "cannot create its folder") from None
    if not os.access(target.parent, os.W_OK):
        raise PermissionError(errno.EACCES, "its folder is not writable", str(target))


#: Folders each thread holds the lock of: a write nested in another of the same thread (a folder writing its
#: sub-folders) must not wait for itself; other threads wait as other processes do.
_HELD = threading.local()


@contextmanager
def _locked(folder: Path, target: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (flock on the folder itself: nothing to create or leave behind), so
    that a second clusterleap writer of the same place waits rather than mixing its files with ours."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise _at(exc, target, "cannot open its folder") from None
    st = os.fstat(fd)
    key = (st.st_dev, st.st_ino)
    held: set[tuple[int, int]] = _HELD.__dict__.setdefault("keys", set())
    try:
        if key in held:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        os.close(fd)  # releases the lock


# -- work folders ---------------------------------------------------------------------------------------------------
#: The name of a work folder: ``.<target name>.clusterleap-<16 hex digits>`` beside the target, or
#: ``.clusterleap-<16 hex digits>`` inside a target that is a mount point. Nothing else is ever removed as one.
WORK_NAME = re.compile(r"^\.(?:(?P<target>.+)\.)?clusterleap-[0-9a-f]{16}$")

#: The watcher of one write (a POSIX shell, so that it starts in a millisecond): it waits until the writer's end of
#: a pipe closes, which the kernel does when the writer ends however it ends (SIGKILL included), then puts back a
#: previous output that a kill left set aside (``old``, only where the system cannot swap two folders in one step)
#: and removes the work folder. The writer closes the pipe only after its own clean-up, so the watcher never
#: removes anything of a live writer; the work folder's name is unique to the write, so nothing of another one.
_WATCH = ('read -r _; if [ -d "$1/old" ] && [ ! -e "$2" ] && [ ! -L "$2" ]; then mv -- "$1/old" "$2"; fi; '
          'rm -rf -- "$1"')


def _watch(work: Path, target: Path) -> subprocess.Popen[bytes] | None:
    """Start the watcher of ``work`` (see :data:`_WATCH`) in a session of its own, so that a signal to the
    writer's process group does not take it along; None where no shell can be started (then the sweep of a later
    write is the only clean-up)."""
    try:
        return subprocess.Popen(["/bin/sh", "-c", _WATCH, "clusterleap-watch", str(work), str(target)],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError:
        return None


def _release(watcher: subprocess.Popen[bytes] | None) -> None:
    """Tell the watcher the write is over (its work folder is already gone) and reap it."""
    if watcher is None:
        return
    with suppress(OSError):
        if watcher.stdin is not None:
            watcher.stdin.close()
    with suppress(subprocess.TimeoutExpired):
        watcher.wait(5)


def _put_back(work: Path, target: Path) -> None:
    """Where a write stopped between its two renames (setting the previous output aside as ``work/old``, then
    moving the new one in), put the previous output back, so that clean-up never removes a user's files."""
    old = work / "old"
    if old.is_dir() and not old.is_symlink() and not os.path.lexists(target):
        with suppress(OSError):
            os.rename(old, target)


@contextmanager
def _work_folder(home: Path, prefix: str, target: Path) -> Iterator[Path]:
    """A fresh private folder ``home/<prefix><16 hex digits>`` for one write of ``target``, gone when the write
    ends however it ends: this process removes it on success, error or interrupt; its watcher (:data:`_WATCH`)
    when this process is killed; and, if the watcher died with it (a whole container stopped, a power cut), the
    sweep of the next write into ``home`` (:func:`sweep`), which knows the folder is stale because its lock is
    free: the writer holds an flock on the folder for as long as it runs, and the kernel drops it at its death."""
    work = home / f"{prefix}{secrets.token_hex(8)}"
    watcher = _watch(work, target)  # before the folder exists: no moment in which a kill leaves it unwatched
    try:
        try:
            os.mkdir(work, 0o700)
            fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:
            raise _at(exc, target) from None
        st = os.fstat(fd)
        key = (st.st_dev, st.st_ino)
        held: set[tuple[int, int]] = _HELD.__dict__.setdefault("keys", set())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held.add(key)  # a write nested in this one (into the new folder) must not wait for this lock
            try:
                yield work
            finally:
                held.discard(key)
                _put_back(work, target)
                shutil.rmtree(work, ignore_errors=True)
        finally:
            os.close(fd)
    finally:
        _release(watcher)


def sweep(folder: str | Path) -> list[Path]:
    """Remove the work folders in ``folder`` whose writer is gone, and return them. A work folder (its name
    matches :data:`WORK_NAME`) is stale when its flock can be taken: a live writer, in this process or another,
    holds it from the folder's first moment to its last, and the kernel releases it when the writer dies. A
    previous output a dead writer left set aside is put back first (:func:`_put_back`)."""
    home = Path(folder)
    gone: list[Path] = []
    try:
        entries = list(os.scandir(home))
    except OSError:
        return gone
    for entry in entries:
        found = WORK_NAME.match(entry.name)
        if found is None or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: a live writer's
            os.close(fd)
            continue
        try:
            work = Path(entry.path)
            if found["target"]:
                _put_back(work, home / found["target"])
            shutil.rmtree(work, ignore_errors=True)
            gone.append(work)
        finally:
            os.close(fd)
    return gone


def _writing(exc: OSError, target: Path) -> OSError:
    """An error met while writing into a temporary file or folder, told of the user's target."""
    return _at(exc, target, "cannot write it")


_RENAME_EXCHANGE = 2
_libc: Any = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = _libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


# -- writing --------------------------------------------------------------------------------------------------------
def write_atomic_file(path: str | Path, write: Callable[[Path], object], *, force: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary file of the target's own name in a work folder beside ``path`` (so
    writers that choose a format by extension still do), then rename it into place: readers see the old file or
    the whole new one, never a part. The target is checked first (:func:`check_target`); an existing file is
    replaced only with ``force``. The file gets the usual permissions (0666 less the umask)."""
    target = check_target(path, folder=False, force=force)
    _make_parent(target)
    with _locked(target.parent, target):
        check_target(target, folder=False, force=force)  # again, now that no other writer runs
        sweep(target.parent)
        with _work_folder(target.parent, f".{target.name}{TMP_TAG}", target) as work:
            tmp = work / target.name
            try:
                os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                write(tmp)
                os.chmod(tmp, 0o666 & ~_umask())
                os.replace(tmp, target)
            except OSError as exc:
                raise _writing(exc, target) from None
    return target


def write_atomic_dir(directory: str | Path, write: Callable[[Path], None], *, force: bool = False) -> Path:
    """Call ``write(tmp)`` on a fresh temporary folder, then put it in place of ``directory`` whole: readers and
    a kill at any moment see the previous folder or the complete new one, never a mix. An existing non-empty
    folder is replaced (as a whole; none of its files survive) only with ``force``.

    The temporary folder is made in a work folder beside the target, on the same file system; when the target is
    a mount point (a Docker volume, say) it is made inside it and its entries are moved up one by one instead (not
    as one step: docs/limits.md)."""
    target = check_target(directory, folder=True, force=force)
    _make_parent(target)
    mount = target.is_dir() and os.path.ismount(target)
    home = target if mount else target.parent
    with _locked(home, target):
        check_target(target, folder=True, force=force)
        sweep(home)
        with _work_folder(home, TMP_TAG if mount else f".{target.name}{TMP_TAG}", target) as work:
            new = work / "new"
            try:
                os.mkdir(new, 0o700)
                write(new)
                os.chmod(new, 0o777 & ~_umask())
                if mount:
                    _replace_entries(new, target, work / "old")
                elif not target.exists():
                    os.rename(new, target)
                elif not _exchange(new, target):  # two renames where the system cannot swap in one
                    os.rename(target, work / "old")
                    os.rename(new, target)  # on failure, the work folder's clean-up puts the previous one back
            except OSError as exc:
                raise _writing(exc, target) from None
    return target


def _replace_entries(new: Path, target: Path, old: Path) -> None:
    """At a mount point: set aside every old entry, move every new one up (the old ones go with the work
    folder)."""
    os.mkdir(old, 0o700)
    for entry in os.scandir(target):
        if not WORK_NAME.match(entry.name):
            os.rename(entry.path, old / entry.name)
    for entry in os.scandir(new):
        os.rename(entry.path, target / entry.name)


# -- reading YAML ---------------------------------------------------------------------------------------------------
class _Refused(Exception):
    """A YAML document the reader refuses: a message and the place."""

    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema for plain scalars, a nesting limit and refusal of duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > YAML_MAX_DEPTH:
                peek = cast(Callable[[], yaml.Event], self.peek_event)  # PyYAML's stubs leave it untyped
                raise _Refused(f"nested deeper than {YAML_MAX_DEPTH} levels (the limit of clusterleap's YAML "
                               "reader)", peek().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:
                    continue  # an unhashable key: PyYAML's own error follows
                if first is not None:
                    raise _Refused(f"key {key!r} appears twice in one mapping (first at line {first.line + 1}; "
                                   "the second would silently replace the first)", key_node.start_mark)
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 core schema: only true/false are booleans, numbers include 2e0, codes like NO, off or 007 stay text.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:float",
                                                    "tag:yaml.org,2002:int")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$"),
                              list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"),
)


def _construct_int(loader: yaml.SafeLoader, node: Any) -> int:
    text = str(loader.construct_scalar(node))
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def _construct_float(loader: yaml.SafeLoader, node: Any) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith("inf"):
        return -math.inf if text.startswith("-") else math.inf
    if text.endswith("nan"):
        return math.nan
    return float(text)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _expanded_size(root: Any) -> int:
    """Nodes of the document with every alias expanded (memoised over the shared nodes, so it is cheap)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    busy: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        kids: Sequence[Any] = ()
        if isinstance(node, yaml.SequenceNode):
            kids = node.value
        elif isinstance(node, yaml.MappingNode):
            kids = [x for pair in node.value for x in pair]
        if done:
            busy.discard(key)
            total = 1 + sum(sizes[id(k)] for k in kids)
            sizes[key] = total
            if total > YAML_MAX_NODES:
                return total
            continue
        if key in busy:
            raise _Refused("an alias refers to a mapping or list that contains it (a recursive alias)",
                           node.start_mark)
        busy.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in sizes)
    return sizes[id(root)]


def _load(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node)
        if size > YAML_MAX_NODES:
            raise _Refused(f"expands to more than {YAML_MAX_NODES:,} values through aliases (&anchor / *alias), the "
                           "limit of clusterleap's YAML reader")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: str | Path, error: type[Exception]) -> Any:
    """Parse a YAML file. A missing file, text that is not UTF-8, invalid YAML, a duplicate key, nesting or
    alias expansion beyond the limits raise ``error`` with a message naming the file (and the line and column)."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > YAML_MAX_BYTES:
            raise error(f"{path}: {path.stat().st_size:,} bytes is larger than the limit of {YAML_MAX_BYTES:,} "
                        "bytes for a YAML file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return _load(text)
    except _Refused as exc:
        at = f" line {exc.mark.line + 1}, column {exc.mark.column + 1}" if exc.mark is not None else ""
        raise error(f"{path}{at}: {exc}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise error(f"{path} line {line}: character U+{code:04X} is not allowed in YAML (a control character; "
                    "delete it)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise error(f"{path}{at}: invalid YAML ({problem})") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to read") from None
