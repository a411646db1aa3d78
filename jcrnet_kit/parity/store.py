"""Where the torch side of a verification keeps its arrays until the MindSpore side reads them: a temporary folder
(one ``.npy`` per array, so memory holds one layer at a time whatever the image size) or memory (a reference file
read back). Both behave the same; the folder is removed when its ``with`` block ends, on error and on Ctrl-C too."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Dict, Iterator, Optional

import numpy as np


class ArrayStore:
    """Arrays by key, in memory."""

    def __init__(self, arrays: Optional[Dict[str, np.ndarray]] = None):
        self._arrays: Dict[str, np.ndarray] = dict(arrays or {})

    def put(self, key: str, array: np.ndarray) -> None:
        self._arrays[key] = np.asarray(array)

    def get(self, key: str) -> np.ndarray:
        return self._arrays[key]

    def has(self, key: str) -> bool:
        return key in self._arrays

    def keys(self) -> Iterator[str]:
        return iter(list(self._arrays))


class FolderStore(ArrayStore):
    """Arrays by key, one ``.npy`` file each in ``folder``."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = Path(folder)
        self._files: Dict[str, Path] = {}

    def put(self, key: str, array: np.ndarray) -> None:
        path = self._files.setdefault(key, self.folder / f"{len(self._files)}.npy")
        np.save(path, np.asarray(array), allow_pickle=False)

    def get(self, key: str) -> np.ndarray:
        return np.load(self._files[key], allow_pickle=False)

    def has(self, key: str) -> bool:
        return key in self._files

    def keys(self) -> Iterator[str]:
        return iter(list(self._files))


@contextlib.contextmanager
def scratch_store(prefix: str = "jcrnet-verify-") -> Iterator[FolderStore]:
    """A ``FolderStore`` in a new temporary folder, removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield FolderStore(Path(folder))
