"""Links from the generated pages into the code, the parity tests and the mutant catalogue, and the test-id prefixes
the data tables use. Markdown targets are relative to docs/."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

LAYER_PARITY = "parity_tests/test_layer_parity.py::test_layer_parity"
CONFORMANCE = "parity_tests/test_conformance.py::"
TRAINING = "parity_tests/test_training_parity.py::"

#: The last MindSpore docs branch with the per-API "Differences with torch.X" pages (r2.5.0 and later dropped them and
#: map torch APIs to ``mindspore.mint`` in their table); every official page the map cites is on it unless named.
OFFICIAL_DOCS = "r2.4.10"
_SITE = "https://www.mindspore.cn/docs/en/"


def diff_page(name: str) -> str:
    """The official "Differences with torch.X" page of a MindSpore API (``Conv2d``, ``leaky_relu``)."""
    return f"{_SITE}{OFFICIAL_DOCS}/note/api_mapping/pytorch_diff/{name}.html"


MAPPING_TABLE = f"{_SITE}{OFFICIAL_DOCS}/note/api_mapping/pytorch_api_mapping.html"
#: The first table that maps torch APIs to ``mindspore.mint`` (no per-API pages any more).
MAPPING_TABLE_MINT = f"{_SITE}r2.6.0/note/api_mapping/pytorch_api_mapping.html"
MODEL_AND_CELL = f"{_SITE}{OFFICIAL_DOCS}/migration_guide/model_development/model_and_cell.html"
LR_AND_OPTIMIZER = f"{_SITE}{OFFICIAL_DOCS}/migration_guide/model_development/learning_rate_and_optimizer.html"
API_PAGE = f"{_SITE}{OFFICIAL_DOCS}/api_python/"


def page_title(url: str) -> str:
    """A short title of an official page for the rendered map: what it is and its docs branch."""
    branch = url[len(_SITE):].split("/", 1)[0] if url.startswith(_SITE) else ""
    name = url.rstrip("/").rsplit("/", 1)[-1].split("#")[0].removesuffix(".html")
    kind = {"pytorch_api_mapping": "mapping table"}.get(name, name)
    return f"{kind} ({branch})" if branch else kind


def parity_test_link(node_id: str, base: str = "../") -> str:
    """A markdown link to a parity test: the node id's name as text, its file as target."""
    path, _, name = node_id.partition("::")
    return f"[`{name or path}`]({base}{path})"


def kit_link(ref: str, base: str = "../") -> str:
    path, _, name = ref.partition("::")
    return f"[`{ref}`]({base}{path})"


def mutant_link(name: str, page: str = "") -> str:
    return f"[`{name}`]({page}#mutant-{name})"
