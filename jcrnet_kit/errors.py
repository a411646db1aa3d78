"""The kit's user error: a ``jcrnet_spec.UserError`` raised by the kit's own libraries and commands."""

from jcrnet_spec.errors import UserError


class KitError(UserError):
    """A user-facing failure of a kit command: one line that names the file or setting and the problem."""
