"""Generated regions of hand-written pages: the parts of a page between ``<!-- generated:NAME -->`` and
``<!-- /generated:NAME -->`` are rewritten from the code (``make docs``: ``python -m jcrnet_kit.docs.regions``), and
``jcrnet api-map --check`` / ``parity_tests/test_docs.py`` fail when one is stale."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Callable, Dict, List

from jcrnet_kit.docs import budgets, guide
from jcrnet_kit.docs.links import DOCS

#: Page -> its generated regions (name -> renderer).
PAGES: Dict[Path, Dict[str, Callable[[], str]]] = {
    DOCS / "PORTING_GUIDE.md": guide.GENERATED,
    DOCS / "VERIFICATION.md": budgets.GENERATED,
}

_REGION = re.compile(r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S)


def refresh(text: str, generated: Dict[str, Callable[[], str]]) -> str:
    """``text`` with every generated region rewritten from the sources (unknown region names raise)."""
    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in generated:
            raise KeyError(f"unknown generated region {name!r}; known: {', '.join(generated)}")
        return match.group(1) + generated[name]() + "\n" + match.group(4)

    return _REGION.sub(replace, text)


def regions(text: str) -> List[str]:
    return [m.group("name") for m in _REGION.finditer(text)]


def stale() -> List[Path]:
    """Pages whose generated regions differ from a fresh rendering (or that lack one of their regions)."""
    out = []
    for page, generated in PAGES.items():
        text = page.read_text() if page.exists() else ""
        if sorted(regions(text)) != sorted(generated) or refresh(text, generated) != text:
            out.append(page)
    return out


def main(argv: List[str]) -> int:
    from convert.atomic import write_text

    for page, generated in PAGES.items():
        text = page.read_text()
        fresh = refresh(text, generated)
        if fresh != text:
            write_text(page, fresh)
            print(f"refreshed {', '.join(regions(text))} in {page}")
        else:
            print(f"{page} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
