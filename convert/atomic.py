"""Writing a destination atomically: into a hidden temporary file beside it, renamed into place only on success.

A reader never sees a half-written file, a failed or interrupted write leaves nothing behind (the temporary file, and
whatever a library wrote beside it under the same unique prefix, is removed on any exception, Ctrl-C and SIGTERM
included: ``signals_raise``), and an existing destination is replaced only when asked (``force``); without it the
final step is a hard link, which fails if the name was taken meanwhile. Folders a failed command created are removed
again (``new_folders``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import threading
from pathlib import Path
from typing import Iterator, List

from convert.errors import ConversionError

#: Longest part of the destination's name kept in the temporary name (file names are limited to 255 bytes).
STEM_KEPT = 80


class Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C's ``KeyboardInterrupt`` so that every ``finally`` and context manager cleans up."""


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Inside the block SIGTERM raises ``Terminated`` and Ctrl-C ``KeyboardInterrupt``; the previous handlers are
    restored after. Outside the main thread, where Python cannot install handlers, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise Terminated()

    # SIGINT too: a library imported on the way (MindSpore, torch.distributed) may have installed its own handler
    previous = signal.signal(signal.SIGTERM, terminate), signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


def check_destination(dst: Path, force: bool) -> None:
    """Refuse a destination that cannot be written: a folder, a missing parent, or an existing file without force."""
    if dst.is_dir():
        raise ConversionError(dst, "is a directory; give a file name")
    if not dst.parent.is_dir():
        what = "is not a folder" if dst.parent.exists() else "does not exist"
        raise ConversionError(dst, f"the folder {dst.parent} {what}")
    if (dst.exists() or dst.is_symlink()) and not force:
        raise ConversionError(dst, "already exists; pass --force (force=True) to overwrite it")


def temporary_sibling(dst: Path) -> Path:
    """A hidden name in the destination's folder that keeps its extension in lower case (MindSpore appends
    ``.ckpt`` to any name that does not end in exactly that)."""
    return dst.with_name(f".{dst.stem[:STEM_KEPT]}.{secrets.token_hex(4)}.partial{dst.suffix.lower()}")


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _commit(tmp: Path, dst: Path, force: bool) -> None:
    if force:
        os.replace(tmp, dst)
        return
    try:
        os.link(tmp, dst)
    except FileExistsError:
        raise ConversionError(dst, "already exists; pass --force (force=True) to overwrite it") from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        check_destination(dst, force)  # a file system without hard links: check, then rename
        os.replace(tmp, dst)
    else:
        tmp.unlink()


def _sync(path: Path) -> None:
    """Flush ``path`` (a file, or a folder's entries) to disk; a file system that cannot is left as it is."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_leftovers(tmp: Path) -> None:
    """The temporary file and anything a writer put beside it under its unique prefix (MindSpore's ``.tmp``)."""
    prefix = tmp.name[: tmp.name.index(".partial")]
    with contextlib.suppress(OSError):
        for path in tmp.parent.iterdir():
            if path.name.startswith(prefix):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


@contextlib.contextmanager
def atomic_output(dst: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write (already created, so an unwritable folder is refused before any work); on a
    clean exit it is flushed to disk and becomes ``dst`` (mode of a normal new file)."""
    dst = Path(dst)
    check_destination(dst, force)
    tmp = temporary_sibling(dst)
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise ConversionError(dst, f"cannot be written: the folder {dst.parent} refuses a new file "
                                   f"({error.strerror or error})") from None
    try:
        yield tmp
        if not tmp.is_file():
            raise ConversionError(dst, "the writer produced no file")
        os.chmod(tmp, _default_mode())  # MindSpore leaves its checkpoints read-only (0400)
        _sync(tmp)
        _commit(tmp, dst, force)
        _sync(dst.parent)
    except OSError as error:
        raise ConversionError(dst, f"cannot write: {error.strerror or error}") from None
    finally:
        _remove_leftovers(tmp)


def write_text(dst: Path, text: str, force: bool = True) -> None:
    """Write ``text`` to ``dst`` atomically (reports and logs: overwritten by default)."""
    with atomic_output(dst, force) as tmp:
        tmp.write_text(text)


def write_bytes(dst: Path, data: bytes, force: bool = False) -> None:
    """Write ``data`` to ``dst`` atomically; an existing ``dst`` only with ``force``."""
    with atomic_output(dst, force) as tmp:
        tmp.write_bytes(data)


def new_folders(path: Path) -> List[Path]:
    """Create the folder ``path`` with its missing parents; the folders created, deepest first (for
    ``remove_empty``). ``ConversionError`` naming the folder if it cannot be created."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        remove_empty(missing)
        raise ConversionError(path, f"cannot create this folder ({error.strerror or error})") from None
    return missing


def remove_empty(folders: List[Path]) -> None:
    """Remove those of ``folders`` (deepest first) that are still empty: what a failed command created."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextlib.contextmanager
def folders_kept_on_success(path: Path) -> Iterator[List[Path]]:
    """Create ``path`` (and missing parents) for the block; if it fails, the ones it created are removed again when
    still empty."""
    created = new_folders(path)
    try:
        yield created
    except BaseException:
        remove_empty(created)
        raise


def check_distinct(src: Path, dst: Path) -> None:
    """Refuse a destination that is the source itself (the same name, a symbolic link or a hard link to it)."""
    with contextlib.suppress(OSError):
        if Path(dst).exists() and os.path.samefile(src, dst):
            raise ConversionError(dst, f"is the source file {src} itself; write to another file")
