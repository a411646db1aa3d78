"""Writing a destination atomically: into a hidden temporary file beside it, renamed into place only on success.

A reader never sees a half-written file, a failed conversion leaves nothing behind, and an existing destination is
replaced only when asked (``force``); without it the final step is a hard link, which fails if the name was taken
meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path
from typing import Iterator

from convert.errors import ConversionError


def check_destination(dst: Path, force: bool) -> None:
    """Refuse a destination that cannot be written: a folder, a missing parent, or an existing file without force."""
    if dst.is_dir():
        raise ConversionError(dst, "is a directory; give a file name")
    if not dst.parent.is_dir():
        raise ConversionError(dst, f"the folder {dst.parent} does not exist")
    if dst.exists() and not force:
        raise ConversionError(dst, "already exists; pass --force (force=True) to overwrite it")


def temporary_sibling(dst: Path) -> Path:
    """A hidden name in the destination's folder that keeps its extension (MindSpore insists on ``.ckpt``)."""
    return dst.with_name(f".{dst.stem}.{secrets.token_hex(4)}.partial{dst.suffix}")


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


@contextlib.contextmanager
def atomic_output(dst: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on a clean exit it becomes ``dst`` (mode of a normal new file)."""
    dst = Path(dst)
    check_destination(dst, force)
    tmp = temporary_sibling(dst)
    try:
        yield tmp
        if not tmp.is_file():
            raise ConversionError(dst, "the writer produced no file")
        os.chmod(tmp, _default_mode())  # MindSpore leaves its checkpoints read-only (0400)
        _commit(tmp, dst, force)
    except OSError as error:
        raise ConversionError(dst, f"cannot write: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_text(dst: Path, text: str, force: bool = True) -> None:
    """Write ``text`` to ``dst`` atomically (reports and logs: overwritten by default)."""
    with atomic_output(dst, force) as tmp:
        tmp.write_text(text)
