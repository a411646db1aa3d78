"""The error every command turns into one line on stderr and a non-zero exit."""


class KitError(Exception):
    """A user-facing failure: the message is one line that names the file or setting and the problem."""
