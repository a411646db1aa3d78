"""The one error base of the project: a problem with what the user gave (a file, a flag, an image, a set of weights).

Every package raises a subclass of ``UserError`` for such a problem, with a message that names the file or setting
and says what is wrong. The ``jcrnet`` command prints it as one line (``render``) and exits with ``exit_code``;
anything else is a bug in the kit and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A user-facing failure; ``str(error)`` names the file or setting and the problem."""

    exit_code = 2


class UnknownChoiceError(UserError, ValueError):
    """A name (preset, naming, device, mode, ...) that is not one of the choices."""


class UnavailableError(UserError):
    """A known choice this install or machine cannot provide (a GPU on a CPU-only install); the message says what is
    missing and how to get it."""


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines included) collapsed to one space."""
    return " ".join(str(text).split())


def first_line(error: BaseException) -> str:
    """The first non-empty line of an exception's message, or its class name when it has none (for wrapping a
    library's error into a one-line ``UserError``)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def render(prog: str, error: UserError) -> str:
    """How a command prints a user error: ``<prog>: error: <one line>``."""
    return f"{prog}: error: {one_line(error)}"
