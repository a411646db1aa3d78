"""The converter's errors: one line that names the file and the problem (``jcrnet_spec.UserError`` subclasses)."""

from __future__ import annotations

from pathlib import Path
from typing import Union

from jcrnet_spec.errors import UserError, one_line


class ConversionError(UserError, ValueError):
    """A conversion that cannot be done as asked; nothing was written. ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(self, path: Union[str, Path, None], message: str):
        self.path = None if path is None else str(path)
        text = one_line(message)
        super().__init__(f"{self.path}: {text}" if self.path else text)


class VerificationError(ConversionError):
    """``--verify`` found the converted weights computing different numbers; the destination was not written."""

    exit_code = 1
