"""The API map and the porting guide stay true: every claim of the map runs in both libraries and holds (and fails when
flipped to the text it corrected), generated pages equal a fresh rendering, every default a row claims is the
installed library's, every mutant and parity test they link to exists, and the two model files mirror each other.
Regenerate with ``make docs``."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import mindspore as ms
import torch  # noqa: F401  (conftest imports it first; named here for the reader)
from jcrnet_kit.docs import api_map, budgets, claims, guide, introspect, regions, topics
from jcrnet_kit.docs.pitfalls import PITFALLS
from jcrnet_kit.mutants.catalogue import CATALOGUE
from jcrnet_spec import PRESETS, architecture
from jcrnet_spec.dataflow import depends_on_mode, layers

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@cache
def defined_names(path: str) -> frozenset:
    """Top-level functions, classes and assigned names of a file, and ``Class.method`` for methods."""
    names = set()
    for node in ast.parse((ROOT / path).read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
            if isinstance(node, ast.ClassDef):
                names.update(f"{node.name}.{n.name}" for n in node.body if isinstance(n, ast.FunctionDef))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(names)


@cache
def layer_parity_ids() -> frozenset:
    """The case ids of ``test_layer_parity`` (``preset-path-mode``), built from the spec as the test builds them."""
    return frozenset(f"{preset}-{path}-{mode}" for preset in PRESETS for path, node in layers(architecture(preset))
                     for mode in (("eval", "train") if depends_on_mode(node) else ("eval",)))


def missing_test(node_id: str) -> str:
    """Why ``node_id`` names no parity test ("" if it does)."""
    path, _, name = node_id.partition("::")
    if not path.startswith("parity_tests/test_") or not (ROOT / path).is_file():
        return f"{node_id}: no test file {path}"
    function, _, case = name.partition("[")
    if function not in defined_names(path) or not function.startswith("test_"):
        return f"{node_id}: {path} defines no {function}"
    if case and not (function == "test_layer_parity" and case.rstrip("]") in layer_parity_ids()):
        return f"{node_id}: no case [{case}"
    return ""


def missing_code(ref: str) -> str:
    path, _, name = ref.partition("::")
    if not (ROOT / path).is_file():
        return f"{ref}: no file {path}"
    return "" if not name or name in defined_names(path) else f"{ref}: {path} defines no {name}"


def test_api_map_is_current():
    assert (DOCS / "API_MAPPING.md").read_text() == api_map.render(), "docs/API_MAPPING.md is stale: run `make docs`"


@pytest.mark.parametrize("page", sorted(regions.PAGES), ids=lambda p: p.name)
def test_generated_regions_are_current(page):
    text = page.read_text()
    assert sorted(regions.regions(text)) == sorted(regions.PAGES[page])
    assert regions.refresh(text, regions.PAGES[page]) == text, f"{page.name} is stale: run `make docs`"


def test_every_tolerance_is_tabled_with_its_reason():
    text = (DOCS / "VERIFICATION.md").read_text()
    missing = [reason for reason in budgets.every_reason() if budgets._cell(reason) not in text]
    assert missing == []


def test_the_mutant_sweep_table_is_rendered_from_the_recorded_run(tmp_path):
    """The page's mutant-sweep table comes from the committed JSON of the run: counts per kind, every pair where a
    numeric mutant was not caught numerically with its reason, and a mutant the run never saw said to be missing."""
    import json

    first = next(name for name, mutant in CATALOGUE.items() if mutant.numeric)
    second = next(name for name in CATALOGUE if name != first)
    run = {"revision": "abc1234", "families": ["published:seeded", "published:shipped"], "mutants": [first],
           "complete": True, "outcomes": [
               {"mutant": first, "preset": "published", "family": "seeded", "result": "numeric", "detail": "outputs",
                "seconds": 1.0},
               {"mutant": first, "preset": "published", "family": "shipped", "result": "survived",
                "detail": "every part within budget (closest: layers, margin 0.700, illum.bn w (eval mode, alone))",
                "seconds": 1.0}]}
    (tmp_path / "run.json").write_text(json.dumps(run))
    table = budgets.mutant_sweep_table(tmp_path / "run.json")
    assert "source revision abc1234" in table and "2 outcomes" in table
    row = next(line for line in table.splitlines() if line.startswith(f"| `{first}`"))
    assert "| 1 | 0 | 1 | 0 | 0 |" in row and "published:shipped (survived, closest layers, margin 0.700" in row
    assert "not in the recorded run" in next(line for line in table.splitlines() if line.startswith(f"| `{second}`"))
    assert budgets.MUTANT_SWEEP.exists()  # the recorded run is committed beside the page


def test_a_stale_region_is_found():
    page = DOCS / "VERIFICATION.md"
    text = page.read_text().replace("| `FORWARD` | max abs <= 1e-05", "| `FORWARD` | max abs <= 1")
    assert regions.refresh(text, regions.PAGES[page]) != text


def test_every_claimed_default_is_the_installed_librarys():
    assert introspect.default_mismatches() == []


def test_a_wrong_claim_is_reported():
    wrong = topics.Topic("t", (topics.Api("torch.nn.Conv2d", "mindspore.nn.Conv2d", "", None, (
        topics.Arg("bias", "has_bias", "", (True, True, None)),)),), (), (), ())
    assert introspect.default_mismatches([wrong]) == [
        "t: mindspore.nn.Conv2d(has_bias=...) defaults to False, the row says True"]


def test_every_required_torch_api_has_a_row():
    """Every torch API the two implementations, the loss and the trainer use (the official mapping table's rows for
    them are cited by the rows)."""
    torch_apis = {api.torch for topic in topics.TOPICS for api in topic.apis}
    required = {"torch.nn.Conv2d", "torch.nn.ConvTranspose2d", "torch.nn.BatchNorm2d", "torch.nn.InstanceNorm2d",
                "torch.nn.PReLU", "torch.nn.LeakyReLU", "torch.nn.functional.leaky_relu", "torch.nn.Linear",
                "torch.nn.AdaptiveAvgPool2d", "torch.nn.Sigmoid", "torch.nn.ReLU", "torch.cat", "torch.chunk",
                "torch.optim.Adam", "torch.save", "torch.nn.Module.load_state_dict", "torch.onnx.export",
                "torch.nn.functional.pad", "torch.nn.functional.conv2d", "torch.mean", "torch.sqrt",
                "torch.optim.lr_scheduler.LambdaLR", "torch.nn.Module.train", "torch.nn.Module.forward",
                "torch.autograd.grad", "torch.nn.init.kaiming_uniform_", "torch.nn.Parameter", "torch.tensor",
                "torch.nn.Sequential", "torch.nn.ModuleList", "torch.load"}
    assert required <= torch_apis


@pytest.mark.parametrize("slug", list(claims.CLAIMS))
def test_claim_holds(slug):
    """Every claim of the API map, run in both libraries (about 40 s for all of them on 2 idle cores)."""
    if ms.get_context("device_target") != "CPU":
        pytest.skip("the claims are measured on CPU")
    outcome = claims.run(claims.CLAIMS[slug])
    assert outcome.passed, outcome.error


@pytest.mark.parametrize("slug", [slug for slug, item in claims.CLAIMS.items() if item.flip])
def test_flipped_claim_fails(slug):
    """Run against the earlier (or opposite) text it corrects, a claim must fail: the checks can fail."""
    if ms.get_context("device_target") != "CPU":
        pytest.skip("the claims are measured on CPU")
    outcome = claims.run(claims.CLAIMS[slug], flip=True)
    assert outcome.passed, f"{slug} did not fail when flipped: {outcome.measured}"


def test_a_false_claim_is_reported():
    def check_false():
        assert 1 + 1 == 3, "arithmetic"

    false = claims.Claim("false", ("Convolution",), "1 + 1 = 3", "new", check_false)
    outcome = claims.run(false)
    assert not outcome.passed and outcome.error.startswith("arithmetic")
    assert not claims.run(false, flip=True).passed  # no flip arguments: nothing to flip, a failure is not a pass


def test_every_row_has_claims_and_every_claim_a_row():
    titles = {topic.title for topic in topics.TOPICS}
    by_row = claims.by_row()
    assert titles == set(by_row), (titles ^ set(by_row))
    for item in claims.CLAIMS.values():
        assert item.verdict in claims.VERDICTS, item.slug
        assert item.earlier or item.verdict not in ("wrong", "imprecise"), item.slug
        assert item.flip or item.verdict not in ("wrong", "imprecise"), f"{item.slug}: a correction must be flippable"
        assert all(url.startswith("https://www.mindspore.cn/docs/en/r2.") for url in item.pages), item.slug
        assert not item.api or any(api.mindspore == item.api for t in topics.TOPICS for api in t.apis), item.slug


def test_every_api_names_its_official_page():
    for topic in topics.TOPICS:
        for api in topic.apis:
            assert api.page or api.page_says, f"{topic.title}: {api.torch}: name its official page or say none"
            assert not api.page or api.page.startswith("https://www.mindspore.cn/docs/en/r2.4.10/"), api.page


def test_introspection_reads_constructors_and_docstring_arguments():
    """``mindspore.Parameter``'s signature is its ``__new__`` (``default_input, *args, **kwargs``): the rest is read
    from ``__init__``; ``mindspore.Tensor`` has no signature and a prose first docstring line: its ``Args:`` section."""
    assert introspect.installed_default("mindspore.Parameter", "requires_grad") is True
    assert introspect.installed_default("mindspore.Parameter", "name") is None
    assert introspect.arguments(introspect.resolve("mindspore.Tensor"))["const_arg"] is False
    assert introspect.arguments(introspect.resolve("torch.cat")) == {"tensors": topics.REQUIRED, "dim": 0, "out": None}


def test_undiscussed_arguments_are_listed():
    api = topics.Api("torch.nn.ConvTranspose2d", "mindspore.nn.Conv2dTranspose", "", None, (
        topics.Arg("bias", "has_bias", "", (True, False, None)),))
    found = introspect.not_discussed(api)
    assert "output_padding=0" in found["mindspore.nn.Conv2dTranspose"]
    assert "bias=True" not in found["torch.nn.ConvTranspose2d"] and "dilation=1" in found["torch.nn.ConvTranspose2d"]


def test_rows_link_mutants_tests_and_code_that_exist():
    from jcrnet_spec.layers import PARAM_RULES

    problems = []
    for topic in topics.TOPICS:
        assert topic.mutants or topic.no_mutant, f"{topic.title}: name a mutant or say why there is none"
        assert topic.tests, topic.title
        problems += [f"{topic.title}: unknown mutant {m}" for m in topic.mutants if m not in CATALOGUE]
        problems += [p for p in map(missing_test, topic.tests) if p]
        problems += [p for p in map(missing_code, topic.kit) if p]
        if topic.kind:
            assert topic.kind in PARAM_RULES or not api_map.param_names(topic.kind), topic.kind
    assert not problems, "\n".join(problems)


def test_every_pitfall_links_a_mutant_and_a_parity_test():
    assert [p.number for p in PITFALLS] == list(range(1, 11))
    for p in PITFALLS:
        assert p.tests and not any(map(missing_test, p.tests)), p.number
        assert all(m in CATALOGUE for m in p.mutants), p.number
        # A known gap names the mutant to add; once the catalogue has it, the pitfall must link it.
        assert p.mutants or (p.suggested_mutant and p.suggested_mutant.split("`")[1] not in CATALOGUE), p.number


@pytest.mark.parametrize("page", ["API_MAPPING.md", "PORTING_GUIDE.md"])
def test_every_link_in_the_pages_resolves(page):
    text = (DOCS / page).read_text()
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', (DOCS / "API_MAPPING.md").read_text()))
    problems = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'href="([^"]+)"', text):
        if target.startswith("http"):
            continue
        file, _, anchor = target.partition("#")
        if file and not (DOCS / file).resolve().exists():
            problems.append(f"{target}: no such file")
        if anchor and (file or page).endswith("API_MAPPING.md") and anchor not in anchors:
            problems.append(f"{target}: no such anchor")
    for name in re.findall(r"#mutant-(\w+)", text) + re.findall(r"--only ([\w,]+)", text):
        problems += [f"unknown mutant {n}" for n in name.split(",") if n not in CATALOGUE]
    for node_id in re.findall(r"(parity_tests/test_\w+\.py::test_\w+(?:\[[^\]]+\])?)", text):
        problems += [p for p in [missing_test(node_id)] if p]
    assert not problems, "\n".join(problems)


def test_model_files_mirror_each_other():
    assert guide.outline(guide.TORCH_BLOCKS) == guide.outline(guide.MINDSPORE_BLOCKS)
    for name, _ in guide.outline(guide.TORCH_BLOCKS):
        torch_lines = guide.class_source(guide.TORCH_BLOCKS, name).splitlines()
        assert len(torch_lines) == len(guide.class_source(guide.MINDSPORE_BLOCKS, name).splitlines()), name

    def factories(path):
        tree = ast.parse((ROOT / path).read_text())
        table = next(n.value for n in tree.body if isinstance(n, ast.AnnAssign) and n.target.id == "LEAF_FACTORIES")
        return [k.value for k in table.keys]

    assert factories("torch_reference/layers.py") == factories("mindspore_impl/layers.py")


def _mint_adam_step(f, x):
    """One step of ``mint.optim.Adam``; "runs" means the parameter moved (in PyNative on CPU it returns and does
    not)."""
    p = ms.Parameter(ms.Tensor(x.asnumpy()), name="p")
    f([p], lr=0.1)((ms.Tensor(np.ones(x.shape, np.float32)),))
    if np.array_equal(p.asnumpy(), x.asnumpy()):
        raise RuntimeError("the step left the parameter unchanged")
    return p


MINT_CALLS = {
    "mindspore.mint.nn.Conv2d": lambda f, x: f(4, 4, 3, padding=1)(x),
    "mindspore.mint.nn.ConvTranspose2d": lambda f, x: f(4, 4, 2, stride=2)(x),
    "mindspore.mint.nn.BatchNorm2d": lambda f, x: f(4)(x),
    "mindspore.mint.nn.PReLU": lambda f, x: f()(x),
    "mindspore.mint.nn.functional.leaky_relu": lambda f, x: f(x, 0.2),
    "mindspore.mint.nn.Linear": lambda f, x: f(6, 2)(x),
    "mindspore.mint.nn.AdaptiveAvgPool2d": lambda f, x: f(1)(x),
    "mindspore.mint.nn.Sigmoid": lambda f, x: f()(x),
    "mindspore.mint.nn.ReLU": lambda f, x: f()(x),
    "mindspore.mint.nn.functional.relu": lambda f, x: f(x),
    "mindspore.mint.cat": lambda f, x: f([x, x], 1),
    "mindspore.mint.chunk": lambda f, x: f(x, 2, 1)[0],
    "mindspore.mint.optim.Adam": _mint_adam_step,
    "mindspore.mint.nn.GroupNorm": lambda f, x: f(4, 4)(x),
    "mindspore.mint.mean": lambda f, x: f(x),
    "mindspore.mint.sqrt": lambda f, x: f(x),
    "mindspore.mint.nn.functional.pad": lambda f, x: f(x, (1, 1, 1, 1), mode="replicate"),
    "mindspore.mint.nn.functional.conv2d": lambda f, x: f(x, ms.Tensor(np.ones((4, 1, 3, 3), np.float32)), groups=4),
}


def test_mint_cpu_claims_hold():
    """Each mint API the map names runs on CPU exactly where the map says so."""
    if ms.get_context("device_target") != "CPU":
        pytest.skip("the claims are about CPU")
    x = ms.Tensor(np.random.default_rng(0).random((1, 4, 6, 6), np.float32))
    claims.drain()  # the first synchronize() of a process does nothing on CPU; the drains below must work
    wrong = []
    for api in (a for topic in topics.TOPICS for a in topic.apis if a.mint):
        try:
            out = MINT_CALLS[api.mint](introspect.resolve(api.mint), x)
            out.asnumpy()
            runs, why = True, ""
        except RuntimeError as error:
            runs, why = False, f" ({str(error).splitlines()[0][:160]})"
            try:  # PyNative runs ops asynchronously: a failed launch can be re-raised by the next op; drain it here
                ms.runtime.synchronize()
            except RuntimeError:
                pass
        if runs != api.mint_cpu:
            wrong.append(f"{api.mint}: runs on CPU {runs}{why}, the map says {api.mint_cpu}")
    assert not wrong, "\n".join(wrong)


def test_api_map_command(capsys, tmp_path):
    from jcrnet_kit.cli import main

    assert main(["api-map", "--out", str(tmp_path / "map.md")]) == 0
    assert (tmp_path / "map.md").read_text() == api_map.render()
    assert main(["api-map", "--check"]) == 0
    assert "are current" in capsys.readouterr().out
