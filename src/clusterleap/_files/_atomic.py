"""Writing outputs so that bad input, a failure, a kill or a second writer never leaves a half-written or mixed
output behind (docs/limits.md).

An output is checked first (never the current folder, never a special file such as a FIFO or a device, never an
existing file or non-empty folder unless ``force``), built in a work folder inside the target's own file system while
a lock on its folder keeps other clusterleap writers out, and put in place by one rename (folders are swapped with
``renameat2(RENAME_EXCHANGE)`` where Linux offers it). The work folder (``.<name>.clusterleap-<16 hex digits>``) is
gone when the write ends however it ends, a SIGKILL included: see :func:`_work_folder`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

__all__ = ["TMP_TAG", "WORK_NAME", "check_target", "sweep", "write_atomic_dir", "write_atomic_file"]

TMP_TAG = ".clusterleap-"


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
