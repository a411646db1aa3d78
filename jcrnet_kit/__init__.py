"""Tools of the jcrnet-port kit: the ``jcrnet`` command line, verification and comparison helpers."""

__version__ = "0.1.0"
