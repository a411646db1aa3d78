"""``python -m convert SRC DST [options]``: the ``jcrnet convert`` command without the ``jcrnet`` entry point."""

import sys

from convert.cli import main

sys.exit(main())
