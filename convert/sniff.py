"""What a file's first bytes say it is, for error messages that point at the right format."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Optional

ZIP_MAGIC = b"PK\x03\x04"
PICKLE_PROTO = 0x80


def sniff(path: Path) -> Optional[str]:
    """A short description of the content ("empty", "a zip archive (torch .pth)", ...) or None if unrecognised."""
    with open(path, "rb") as f:
        head = f.read(4096)
        size = f.seek(0, 2)
    if not head:
        return "empty"
    if head.startswith(ZIP_MAGIC):
        return "a zip archive (torch .pth)"
    if head[0] == PICKLE_PROTO:
        return "a pickle (legacy torch .pth)"
    if len(head) >= 9 and head[8:9] == b"{":
        (header_len,) = struct.unpack("<Q", head[:8])
        if header_len <= size - 8:
            return "a safetensors file"
    return None
