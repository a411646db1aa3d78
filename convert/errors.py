"""The one error class of the converter: a single line that names the file and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Union


class ConversionError(ValueError):
    """A conversion that cannot be done as asked; nothing was written. ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(self, path: Union[str, Path, None], message: str):
        self.path = None if path is None else str(path)
        text = " ".join(str(message).split())
        super().__init__(f"{self.path}: {text}" if self.path else text)


class VerificationError(ConversionError):
    """``--verify`` found the converted weights computing different numbers; the destination was not written."""

    exit_code = 1
