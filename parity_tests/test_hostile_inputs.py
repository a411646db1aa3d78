"""The hostile-input corpus (``hostile_cases``, files from ``hostile_files``): every command, every kind of bad input.

Each case asserts its exit code; one error line on stderr naming the file or flag and the problem; no traceback; no
file created, changed or removed anywhere in the corpus or the case's folder (beyond what the case says it creates,
and no temporary file); no code run by a pickle (the marker file); and, for small files that declare or expand to
gigabytes, a peak RSS under ``PEAK_RSS_BOUND`` (measured in one long-lived worker process, ``hostile_worker``).
Cases ``jcrnet verify`` and ``jcrnet compare`` fail until they call the gates (``hostile_cases.NOT_WIRED``) are
strict expected failures: each passes, and so fails this module, the day its command is wired; it then leaves the list.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

from hostile_cases import CASES, SLOW_UNTIL_WIRED, NOT_WIRED, Case
from hostile_files import MARKER, build
from jcrnet_kit.cli import main
from jcrnet_kit.commands import COMMAND_MODULES

ROOT = Path(__file__).resolve().parents[1]
#: Peak RSS allowed to a case whose input is a small file (under 2 MB) or a flag: torch and MindSpore imported take
#: about 0.6 GB of it, so a refused input may cost at most another 0.9 GB.
PEAK_RSS_BOUND_KB = 1536 * 1024


def pytest_generate_tests(metafunc):
    if "hostile" in metafunc.fixturenames:
        metafunc.parametrize("hostile", CASES, ids=[c.id for c in CASES])


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Dict[str, Path]:
    root = tmp_path_factory.mktemp("corpus")
    folders = build(root)
    folders["root"] = root
    return folders


@pytest.fixture(scope="session")
def worker():
    """The memory worker, started once for the session."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GLOG_v": "3"}
    process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("hostile_worker.py"))], cwd=ROOT,
                               env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)

    def run(argv) -> dict:
        process.stdin.write(json.dumps(list(argv)) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        assert line, f"the memory worker died (exit {process.poll()})"
        return json.loads(line)

    yield run
    process.stdin.close()
    process.wait(timeout=60)


def snapshot(*folders: Path) -> Dict[str, Tuple]:
    """Every entry under ``folders``: kind, size, mtime, inode, mode (a change, a new file or a removal shows)."""
    found = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                path = Path(dirpath) / name
                st = path.lstat()
                found[str(path)] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino)
    return found


def make_read_only(folder: Path) -> None:
    """A folder that refuses new files even to root (``chattr +i``), else skip saying why."""
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
        probe = folder / "probe"
        try:
            probe.touch()
        except OSError:
            return
        probe.unlink()
        pytest.skip("cannot make a read-only folder here (root without chattr +i)")


def release(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
            path.chmod(0o755)


def prepare(setup: str, out: Path, corpus: Dict[str, Path]) -> None:
    for step in filter(None, setup.split(",")):
        what, _, rest = step.partition(":")
        args = rest.split(":")
        if what == "existing":
            (out / args[0]).write_text("keep me\n")
        elif what == "folder":
            (out / args[0]).mkdir()
        elif what == "readonly":
            make_read_only(out / args[0])
        elif what in ("copy", "copy-image"):
            shutil.copyfile(corpus["weights" if what == "copy" else "images"] / args[0], out / args[1])
        elif what == "hardlink":
            os.link(out / args[0], out / args[1])
        elif what == "symlink":
            os.symlink(out / args[0], out / args[1])
        else:
            raise ValueError(f"unknown setup {step!r}")


def pending_reason(hostile: Case) -> str:
    """Why a case cannot pass yet: the gate it needs is not called by its command."""
    if hostile.id in NOT_WIRED:
        return f"jcrnet {hostile.argv[0]} does not call {NOT_WIRED[hostile.id]} yet (issue 13; its owner wires it)"
    return ""


def has_accelerator() -> bool:
    import torch

    from mindspore_impl.compat import check_available
    from jcrnet_spec.errors import UnavailableError

    for device in ("GPU", "Ascend"):
        try:
            check_available(device)
            return True
        except UnavailableError:
            pass
    return torch.cuda.is_available()


@contextlib.contextmanager
def environment(pairs) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k, _ in pairs}
    os.environ.update(dict(pairs))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_case(hostile: Case, corpus, out: Path, capsys, worker) -> Tuple[int, str, int]:
    values = {"w": corpus["weights"], "i": corpus["images"], "d": corpus["data"], "r": corpus["resume"], "o": out}
    argv = [a.format(**values) for a in hostile.argv]
    if hostile.memory:
        assert not hostile.env
        done = worker(argv)
        assert done["traceback"] is None, done["traceback"]
        return done["code"], done["err"], done["peak_kb"]
    with environment(hostile.env):
        code = main(argv)
    return code, capsys.readouterr().err, 0


def test_hostile_input(hostile: Case, corpus, tmp_path, capsys, worker, request):
    if hostile.argv[0] == "compare" and "jcrnet_kit.commands.compare" not in COMMAND_MODULES:
        pytest.skip("this tree has no jcrnet compare")
    if hostile.kind == "device" and has_accelerator():
        pytest.skip("this machine has a GPU or an Ascend device; the device cases need one without")
    reason = pending_reason(hostile)
    if reason and (hostile.memory or hostile.id in SLOW_UNTIL_WIRED):
        pytest.skip(f"{reason}; until then the case runs the whole verification before it fails")
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    out = tmp_path / "out"
    out.mkdir()
    try:
        prepare(hostile.setup, out, corpus)
        before = snapshot(corpus["root"], out)
        code, err, peak_kb = run_case(hostile, corpus, out, capsys, worker)
        after = snapshot(corpus["root"], out)
    finally:
        release(out)
    values = {"w": corpus["weights"], "i": corpus["images"], "d": corpus["data"], "r": corpus["resume"], "o": out}
    assert not (corpus["root"] / MARKER).exists(), "a pickle ran code"
    assert "Traceback" not in err, err
    assert code == hostile.code, (code, err)
    created = {str(out / name) for name in hostile.creates}
    assert set(after) - set(before) == created, "files created"
    assert {k: v for k, v in before.items() if after.get(k) != v} == {}, "files changed or removed"
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if ": error: " in line]
    if hostile.code != 0:
        summary = [line for line in lines if line.endswith("image(s) failed")] if hostile.code == 1 else []
        assert len(errors) == 1 and len(lines) == 1 + len(summary), lines
        for fragment in hostile.says:
            assert fragment.format(**values) in errors[0], (fragment, errors[0])
    else:
        assert errors == [], errors
    if hostile.memory:
        assert peak_kb < PEAK_RSS_BOUND_KB, f"peak RSS {peak_kb / 1024:.0f} MB"


def test_the_corpus_is_large_and_names_are_unique():
    assert len({c.id for c in CASES}) == len(CASES)
    assert len(CASES) >= 200


# --- what a table cannot say -----------------------------------------------------------------------------------------

def test_enhanced_images_keep_their_kind(corpus, tmp_path, capsys):
    """16-bit with an sBIT chunk stays 16-bit; LAB comes back as RGB without alpha (its second band is not alpha)."""
    import png

    assert main(["enhance", str(corpus["images"] / "sbit16.png"), str(corpus["images"] / "lab.tif"),
                 "-o", str(tmp_path)]) == 0
    for name, depth, planes in (("sbit16.png", 16, 3), ("lab.png", 8, 3)):
        _, _, _, info = png.Reader(filename=str(tmp_path / name)).read()
        assert (info["bitdepth"], info["planes"]) == (depth, planes), name


def test_append_dict_values_are_ignored_with_a_note(corpus, tmp_path, capsys):
    assert main(["convert", str(corpus["weights"] / "append-dict.ckpt"), str(tmp_path / "w.pth")]) == 0
    assert "ignored 2 value(s) saved with append_dict that are not weights (note, epoch_num)" in capsys.readouterr().out


def test_concurrent_writers_one_wins_and_the_file_is_whole(corpus, tmp_path):
    import convert

    destination, results = tmp_path / "w.safetensors", []

    def write() -> None:
        try:
            convert.convert(corpus["weights"] / "good.pth", destination)
            results.append("wrote")
        except convert.ConversionError as error:
            results.append(str(error))

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("wrote") == 1 and all("already exists" in r for r in results if r != "wrote"), results
    assert convert.load_weights(destination).naming == "torch"
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_a_ckpt_write_leaves_nothing(signum, corpus, tmp_path, capsys, monkeypatch):
    """MindSpore writes ``<name>.tmp`` beside the checkpoint first; a signal in the middle must remove both."""
    import mindspore as ms

    real = ms.save_checkpoint

    def interrupted(params, name, *args, **kwargs):
        Path(name).with_suffix(".tmp").write_bytes(b"half a checkpoint")
        os.kill(os.getpid(), signum)
        return real(params, name, *args, **kwargs)

    monkeypatch.setattr(ms, "save_checkpoint", interrupted)
    code = main(["convert", str(corpus["weights"] / "good.pth"), str(tmp_path / "w.ckpt")])
    assert code == (130 if signum == signal.SIGINT else 143)
    assert capsys.readouterr().err.strip().endswith("interrupted" if signum == signal.SIGINT else "terminated")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_removes_the_folders_it_created(corpus, tmp_path, capsys):
    out = tmp_path / "new" / "deeper"
    code = main(["enhance", str(corpus["images"] / "corrupt-idat16.png"), "-o", str(out / "x.png")])
    assert code == 1 and not (tmp_path / "new").exists()


def test_a_resumed_run_continues_its_own_log_and_refuses_another_runs(tmp_path, capsys):
    """train_log.json is never replaced without --force; a run resumed in its own folder extends its log instead."""
    tiny = ["train", "--framework", "torch", "--data", "synthetic", "--patch", "32", "--batch", "2", "--val-every", "0"]
    out = tmp_path / "run"
    assert main([*tiny, "--steps", "2", "--save-every", "1", "--out", str(out)]) == 0
    first = json.loads((out / "train_log.json").read_text())
    assert main(["train", "--resume", str(out / "step_000001.pth"), "--out", str(out), "--val-every", "0",
                 "--force"]) == 0
    resumed = json.loads((out / "train_log.json").read_text())
    assert [row["step"] for row in resumed["steps"]] == [1, 2]
    assert resumed["steps"][0] == first["steps"][0] and resumed["resumed_from"] == "step_000001"
    other = tmp_path / "other"
    other.mkdir()
    (other / "train_log.json").write_text(json.dumps(first))
    capsys.readouterr()
    assert main([*tiny, "--steps", "1", "--out", str(other)]) == 2
    assert "train_log.json of another run" in capsys.readouterr().err


def test_the_reliability_page_counts_the_corpus_as_it_is():
    """docs/RELIABILITY.md's table of cases by kind and expected exit equals what ``hostile_cases`` holds."""
    text = (ROOT / "docs" / "RELIABILITY.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1].isdigit():
            rows[cells[0]] = tuple(int(c or 0) for c in cells[1:5])
    expected = {}
    for c in CASES:
        total, code2, code1, code0 = expected.get(c.kind, (0, 0, 0, 0))
        expected[c.kind] = (total + 1, code2 + (c.code == 2), code1 + (c.code == 1), code0 + (c.code == 0))
    assert rows == expected
    assert f"({len(CASES)} in all;" in text
    assert f"{sum(1 for c in CASES if c.memory)} cases run in the memory worker" in text
