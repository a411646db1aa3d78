"""The hostile-input corpus as data: one ``Case`` per bad (or merely unusual) input, across every command.

``{w}``, ``{i}``, ``{d}``, ``{r}`` are the corpus folders (weights, images, data, resume checkpoints; see
``hostile_files``), ``{o}`` the case's own output folder. A case names what it expects: the exit code, the fragments
its one error line must hold (the file or flag, the problem), the files it may create in ``{o}`` (nothing else may
change anywhere), whether its peak memory is measured (``memory``: run in the long-lived worker), and ``setup``: what
is put in ``{o}`` first. ``NOT_WIRED`` lists the cases ``jcrnet verify`` and ``jcrnet compare`` fail until they call
the gates (their owners wire them): each runs as a strict expected failure, and passes the day it is wired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    argv: Tuple[str, ...]
    code: int = 2
    says: Tuple[str, ...] = ()
    creates: Tuple[str, ...] = ()
    memory: bool = False
    setup: str = ""
    env: Tuple[Tuple[str, str], ...] = ()


CASES: List[Case] = []
#: Cases that fail until their command calls the gate named (``jcrnet_kit.gates``); see docs/RELIABILITY.md.
NOT_WIRED: Dict[str, str] = {}
#: Of those, the ones that would run the whole verification before failing (minutes on 2 cores): skipped, not run.
SLOW_UNTIL_WIRED: Tuple[str, ...] = ()
EMPTY = "<empty>"


def case(id: str, kind: str, argv: str, code: int = 2, says=(), **more) -> None:
    """Add a case; ``argv`` is split on "|" (so paths may hold spaces); ``<empty>`` is an empty argument."""
    CASES.append(Case(id, kind, tuple(a.replace(EMPTY, "") for a in argv.split("|") if a), code,
                      (says,) if isinstance(says, str) else tuple(says), **more))


# --- weights files, through convert (every reader and the gate before it) ---------------------------------------
REFUSED_WEIGHTS = {
    "stride0.pth": "elements overlap", "stride0-in-state.pth": "elements overlap", "overlap.pth": "elements overlap",
    "sparse.pth": "sparse_coo", "meta.pth": "meta tensor", "quantized.pth": "quantized", "int32.pth": "int32",
    "deflate-bomb.pth": "refusing to inflate", "many-entries.pth": "5000 entries", "huge.pth": "larger than any",
    "huge.ckpt": "larger than any", "huge.safetensors": "larger than any", "negative-dims.ckpt": "negative dims",
    "lying.ckpt": "declares 4000000000 bytes", "odd-type.ckpt": "Complex128", "evil.pth": "refused as unsafe",
    "evil-legacy.pth": "refused as unsafe", "dev-zero.pth": "is not a file", "fifo.pth": "is not a file",
    "loop.pth": "does not exist", "lying.safetensors": "not a readable safetensors",
    "huge-header.safetensors": "header too large", "nan.pth": "NaN", "inf.pth": "Inf", "nan.ckpt": "NaN",
    "nan.safetensors": "NaN", "diverged.pth": "differ between their copies",
    "diverged.safetensors": "differ between their copies", "list.pth": "not a state_dict",
    "two-nestings.pth": "several candidate", "empty-dict.pth": "empty state_dict", "missing-key.pth": "1 missing",
    "misshaped.pth": "expected (3, 56, 3, 3)", "extra-key.pth": "1 unexpected", "truncated.pth": "corrupt",
    "truncated.ckpt": "corrupt", "truncated.safetensors": "corrupt", "empty.pth": "is empty",
    "empty.ckpt": "is empty", "empty.safetensors": "is empty", "text.pth": "not a torch file",
    "text.ckpt": "not a readable MindSpore checkpoint", "text.safetensors": "not a readable safetensors",
    "folder.pth": "is not a file", "folder.ckpt": "is not a file", "folder.safetensors": "is not a file",
    "pth-as.ckpt": "zip archive", "safetensors-as.pth": "safetensors file",
}
#: Small files that declare (or expand to) gigabytes: their peak memory is measured.
EXPANDING = ("stride0.pth", "deflate-bomb.pth", "huge.pth", "huge.ckpt", "huge.safetensors", "lying.ckpt",
             "lying.safetensors", "overlap.pth")

for name, problem in REFUSED_WEIGHTS.items():
    destination = "out.safetensors" if not name.endswith(".safetensors") else "out.ckpt"
    case(f"convert-{name}", "weights", f"convert|{{w}}/{name}|{{o}}/{destination}", says=(f"{{w}}/{name}", problem),
         memory=name in EXPANDING)

# The same gate behind every other command that takes weights.
for name in ("stride0.pth", "huge.ckpt", "evil.pth", "nan.pth", "nan.ckpt", "diverged.pth", "sparse.pth",
             "truncated.safetensors", "deflate-bomb.pth"):
    problem = REFUSED_WEIGHTS[name]
    heavy = name in EXPANDING
    case(f"enhance-weights-{name}", "weights", f"enhance|{{i}}/ok8.png|-o|{{o}}/x.png|--weights|{{w}}/{name}",
         says=(f"{{w}}/{name}", problem), memory=heavy)
    case(f"eval-weights-{name}", "weights", f"eval|--data|synthetic|--weights|{{w}}/{name}",
         says=(f"{{w}}/{name}", problem), memory=heavy)
    case(f"train-init-{name}", "weights", f"train|--framework|torch|--data|synthetic|--init|{{w}}/{name}|--out|{{o}}/t",
         says=(f"{{w}}/{name}", problem), memory=heavy)
    case(f"verify-weights-{name}", "weights", f"verify|--weights|{{w}}/{name}|--size|16x24",
         says=(f"{{w}}/{name}", problem), memory=heavy)
case("enhance-weights-mindspore-nan", "weights",
     "enhance|{i}/ok8.png|-o|{o}/x.png|--framework|mindspore|--weights|{w}/nan.safetensors", says="NaN")
case("eval-weights-mindspore-diverged", "weights",
     "eval|--data|synthetic|--framework|mindspore|--weights|{w}/diverged.safetensors", says="differ between")

# Ordinary files that must keep working.
case("convert-append-dict", "weights", "convert|{w}/append-dict.ckpt|{o}/out.safetensors", code=0,
     creates=("out.safetensors",))
case("convert-symlinked-source", "weights", "convert|{w}/link-to-good.pth|{o}/out.ckpt", code=0, creates=("out.ckpt",))
case("convert-upper-case-ckpt", "output", "convert|{w}/good.pth|{o}/X.CKPT", code=0, creates=("X.CKPT",))
case("convert-unicode-destination", "output", "convert|{w}/good.ckpt|{o}/wéights ünï.pth", code=0,
     creates=("wéights ünï.pth",))
case("convert-nan-allowed", "weights", "convert|{w}/nan.pth|{o}/out.safetensors|--allow-nonfinite", code=0,
     creates=("out.safetensors",))

# --- convert destinations -------------------------------------------------------------------------------------------
case("convert-existing-destination", "output", "convert|{w}/good.pth|{o}/keep.ckpt", setup="existing:keep.ckpt",
     says=("{o}/keep.ckpt", "already exists"))
case("convert-destination-is-folder", "output", "convert|{w}/good.pth|{o}/dir.ckpt", setup="folder:dir.ckpt",
     says="is a directory")
case("convert-destination-missing-folder", "output", "convert|{w}/good.pth|{o}/no/such/out.ckpt",
     says="does not exist")
case("convert-destination-parent-is-file", "output", "convert|{w}/good.pth|{o}/keep.ckpt/out.pth",
     setup="existing:keep.ckpt", says="is not a folder")
for ext in ("pth", "ckpt", "safetensors"):
    case(f"convert-read-only-folder-{ext}", "output", f"convert|{{w}}/good.pth|{{o}}/ro/out.{ext}",
         setup="readonly:ro", says=(f"{{o}}/ro/out.{ext}", "refuses a new file"))
case("convert-same-file", "output", "convert|{o}/src.pth|{o}/src.pth|--force", setup="copy:good.pth:src.pth",
     says="is the source file")
case("convert-hard-link-to-source", "output", "convert|{o}/src.pth|{o}/hard.pth|--force",
     setup="copy:good.pth:src.pth,hardlink:src.pth:hard.pth", says="is the source file")
case("convert-symlink-to-source", "output", "convert|{o}/src.pth|{o}/link.pth|--force",
     setup="copy:good.pth:src.pth,symlink:src.pth:link.pth", says="is the source file")
case("convert-dangling-symlink-destination", "output", "convert|{w}/good.pth|{o}/dangling.ckpt",
     setup="symlink:nowhere:dangling.ckpt", says="already exists")
case("convert-bad-extension", "path", "convert|{w}/good.pth|{o}/out.txt", says="unsupported destination extension")
case("convert-bad-preset", "number", "convert|{w}/good.pth|{o}/out.ckpt|--preset|nope", says="--preset")
case("convert-onnx-source", "path", "convert|{o}/x.onnx|{o}/out.pth", says="destination only")

# --- images ----------------------------------------------------------------------------------------------------------
REFUSED_IMAGES = {
    "corrupt-idat16.png": "zlib", "bad-crc.png": "not a readable image", "no-idat-data.png": "truncated",
    "truncated.png": "truncated", "empty.png": "not a readable image", "text.png": "not a readable image",
    "float-range.tif": "values outside", "int32-range.tif": "outside 0..65535", "bomb.png": "pixels",
    "bomb16.png": "pixels",
}
for name, problem in REFUSED_IMAGES.items():
    bomb = name.startswith("bomb")
    case(f"enhance-image-{name}", "image", f"enhance|{{i}}/{name}|-o|{{o}}/x.png", code=1,
         says=(f"{{i}}/{name}", problem), memory=bomb)
    case(f"verify-input-{name}", "image", f"verify|--input|{{i}}/{name}|--training-steps|0",
         says=(f"{{i}}/{name}", problem), memory=bomb)
for name in ("folder.png", "loop.png", "fifo.png"):
    case(f"enhance-input-{name}", "path", f"enhance|{{i}}/{name}|-o|{{o}}/x.png", says=f"{{i}}/{name}")
case("enhance-missing-input", "path", "enhance|{i}/absent.png|-o|{o}/x.png", says="no such file")
case("verify-input-folder", "path", "verify|--input|{i}/folder.png", says="{i}/folder.png")
case("verify-input-tiny", "image", "verify|--input|{i}/tiny2.png", says=("{i}/tiny2.png", "too small"))
case("verify-input-bomb-budget", "image", "verify|--input|{i}/ok16.png|--size|16x16", says="--size")
case("enhance-batch-one-corrupt", "image", "enhance|{i}/batch|-o|{o}/out", code=1, says=("{i}/batch/b.png", "zlib"),
     creates=("out", "out/a.png", "out/c.png"))
for name, kind in (("sbit16.png", "16-bit"), ("lab.tif", "RGB"), ("cmyk.jpg", "RGB"), ("float-ok.tif", "gray"),
                   ("tiny2.png", "RGB"), ("ünï cødé/lów líght.png", "RGB")):
    case(f"enhance-accepts-{name.split('/')[-1]}", "image", f"enhance|{{i}}/{name}|-o|{{o}}/x.png", code=0,
         creates=("x.png",), says=kind)

DATA_REFUSED = {
    "lol-corrupt16": ("eval15/low/a.png", "zlib"), "lol-small": ("eval15/low/a.png", "7x7"),
    "lol-unequal": ("eval15/low/a.png", "differs from its target"), "lol-bomb": ("eval15/low/a.png", "pixels"),
    "lol-text": ("eval15/high/a.png", "not a readable image"), "lol-unpaired": ("lol-unpaired", "unpaired"),
    "lol-empty": ("lol-empty/eval15/low", "no images"), "a-file": ("a-file", "no such data folder"),
    "absent": ("absent", "no such data folder"),
}
for name, (where, problem) in DATA_REFUSED.items():
    case(f"eval-data-{name}", "image", f"eval|--data|{{d}}/{name}", says=(where, problem), memory=name == "lol-bomb")
case("train-data-corrupt16", "image", "train|--framework|torch|--data|{d}/lol-train-corrupt16|--out|{o}/t",
     says=("our485/low/a.png", "zlib"))
case("train-data-small", "image", "train|--framework|torch|--data|{d}/lol-small|--out|{o}/t",
     says=("lol-small", "our485"))
case("train-patch-larger-than-images", "number",
     "train|--framework|torch|--data|synthetic|--patch|1024|--batch|1|--steps|1|--out|{o}/t", says="--patch 1024")

# --- numbers ---------------------------------------------------------------------------------------------------------
TRAIN = "train|--framework|torch|--data|synthetic|--out|{o}/t"
NUMBERS = {
    "--steps": ("0", "-3", "abc", "1.5", "10000000000000"), "--epochs": ("-1", "0", "nan", "inf", "x"),
    "--lr": ("nan", "-1", "0", "inf", "2", "1e400"), "--batch": ("0", "-1", "99999", "two"),
    "--patch": ("31", "0", "8", "100000"), "--seed": ("-1", "4294967296", "x"), "--warmup-steps": ("-1",),
    "--accumulate": ("0",), "--val-every": ("-1",), "--save-every": ("0",),
}
for flag, values in NUMBERS.items():
    for value in values:
        case(f"train{flag}={value}", "number", f"{TRAIN}|{flag}|{value}", says=flag)
case("train-batch-times-patch", "number", f"{TRAIN}|--batch|1024|--patch|2048|--steps|1", says="pixels per step")
case("train-epochs-beyond-steps", "number", f"{TRAIN}|--epochs|900000000|--batch|1", says="more than")
case("train-accumulate-does-not-split", "number", f"{TRAIN}|--batch|3|--accumulate|2", says="does not split")
for command in ("enhance|{i}/ok8.png|-o|{o}/x.png", "eval|--data|synthetic"):
    name = command.split("|")[0]
    for flag, value in (("--max-pixels", "-1"), ("--max-pixels", "0"), ("--max-pixels", "100"), ("--max-pixels", "x"),
                        ("--tile", "0"), ("--tile", "7"), ("--tile", "-1"), ("--overlap", "-1"), ("--overlap", "z")):
        case(f"{name}{flag}={value}", "number", f"{command}|{flag}|{value}", says=flag)
    case(f"{name}-overlap-above-half-tile", "number", f"{command}|--tile|64|--overlap|40", says="--tile 64")
for value in ("0", "-1", "x", "100000"):
    case(f"bench--repeats={value}", "number", f"bench|--repeats|{value}|--backends|torch-eager|--sizes|16x24",
         says="--repeats")
for value in ("30000x30000", "0x8", "abc", ",", "16x24x3", "-4x8"):
    case(f"bench--sizes={value}", "number", f"bench|--sizes|{value}|--backends|torch-eager", says="--sizes",
         memory=value == "30000x30000")
case("bench-no-backends", "number", "bench|--backends|,|--sizes|16x24", says="--backends")
case("bench-unknown-backend", "number", "bench|--backends|tensorflow|--sizes|16x24", says="tensorflow")
for value in ("15x24", "abc", "0x8", "2x2", "-16x16"):
    case(f"verify--size={value}", "number", f"verify|--size|{value}", says="--size")
case("verify--size=30000x30000", "number", "verify|--size|30000x30000", says="--size", memory=True)
case("verify--training-steps=-3", "number", "verify|--training-steps|-3|--size|16x24", says="--training-steps")
case("verify--seed=-1", "number", "verify|--seeded|--seed|-1|--size|16x24", says="--seed")
case("mutants--jobs=x", "number", "mutants|--jobs|x", says="--jobs")

# --- outputs ---------------------------------------------------------------------------------------------------------
case("eval-json-exists", "output", "eval|--data|synthetic|--json|{o}/scores.json", setup="existing:scores.json",
     says=("--json", "already exists"))
case("eval-json-is-folder", "output", "eval|--data|synthetic|--json|{o}/dir", setup="folder:dir", says="is a folder")
case("eval-json-missing-folder", "output", "eval|--data|synthetic|--json|{o}/no/scores.json", says="does not exist")
case("eval-json-read-only", "output", "eval|--data|synthetic|--json|{o}/ro/scores.json", setup="readonly:ro",
     says="cannot write")
case("train-json-exists", "output", f"{TRAIN}|--json|{{o}}/log.json", setup="existing:log.json",
     says=("--json", "already exists"))
case("train-log-of-another-run", "output", "train|--framework|torch|--data|synthetic|--out|{o}",
     setup="existing:train_log.json", says=("train_log.json", "--force"))
case("train-out-is-file", "output", "train|--framework|torch|--data|synthetic|--out|{o}/file", setup="existing:file",
     says=("--out", "not a folder"))
case("train-out-read-only", "output", "train|--framework|torch|--data|synthetic|--out|{o}/ro/run",
     setup="readonly:ro", says=("--out", "cannot write"))
case("train-out-holds-checkpoints", "output", "train|--framework|torch|--data|synthetic|--out|{o}",
     setup="existing:step_000500.pth", says="--force")
case("api-map-out-exists", "output", "api-map|--out|{o}/map.md", setup="existing:map.md", says="already exists")
case("api-map-out-is-folder", "output", "api-map|--out|{o}/dir", setup="folder:dir", says="is a folder")
case("api-map-out-read-only", "output", "api-map|--out|{o}/ro/map.md", setup="readonly:ro", says="cannot write")
case("bench-json-exists", "output", "bench|--json|{o}/b.json|--backends|torch-eager|--sizes|16x24",
     setup="existing:b.json", says="already exists")
case("bench-json-read-only", "output", "bench|--json|{o}/ro/b.json|--backends|torch-eager|--sizes|16x24",
     setup="readonly:ro", says="cannot write")
case("enhance-output-exists", "output", "enhance|{i}/ok8.png|-o|{o}/x.png", setup="existing:x.png",
     says="already exist")
case("enhance-output-is-input", "output", "enhance|{o}/in.png|-o|{o}/in.png|--force", setup="copy-image:ok8.png:in.png",
     says="is the input")
case("enhance-output-read-only", "output", "enhance|{i}/ok8.png|-o|{o}/ro/x.png", setup="readonly:ro",
     says="cannot write")
case("enhance-two-inputs-one-png", "output", "enhance|{i}/ok8.png|{i}/ok8b.png|-o|{o}/x.png", says="one input")
case("enhance-output-file-for-folder", "output", "enhance|{i}/ok8.png|{i}/ok8b.png|-o|{o}/file",
     setup="existing:file", says="not a folder")
case("enhance-three-inputs-new-folder", "output", "enhance|{i}/ok8.png|{i}/batch/a.png|{d}/small6.png|-o|{o}/out",
     code=0, creates=("out", "out/ok8.png", "out/a.png", "out/small6.png"))
case("verify-json-exists", "output", "verify|--json|{o}/v.json|--size|16x24", setup="existing:v.json",
     says=("--json", "already exists"))
case("verify-html-exists", "output", "verify|--html|{o}/v.html|--size|16x24", setup="existing:v.html",
     says=("--html", "already exists"))
case("verify-out-holds-report", "output", "verify|--out|{o}|--size|16x24", setup="existing:verify.json",
     says=("--out", "verify.json"))
case("verify-json-read-only", "output", "verify|--json|{o}/ro/v.json|--size|16x24", setup="readonly:ro",
     says=("--json", "cannot write"))

# --- resume records and checkpoints ----------------------------------------------------------------------------------
RESUMES = {
    "evil-weights": "refused as unsafe", "evil-state": "not a readable optimiser state", "no-lr": "run.lr is missing",
    "lr-text": "run.lr", "lr-nan": "run.lr is NaN", "bad-framework": "run.framework", "steps-negative": "run.steps",
    "step-past-end": "past the run's", "not-json": "not JSON", "list-record": "not a `jcrnet train` checkpoint",
    "huge-batch": "run.batch",
}
for name, problem in RESUMES.items():
    case(f"train-resume-{name}", "resume", f"train|--resume|{{r}}/{name}/step_000001.pth|--out|{{o}}/t",
         says=(name, problem))
case("train-resume-not-a-checkpoint", "resume", "train|--resume|{w}/good.pth|--out|{o}/t",
     says=("{w}/good.pth", "not a checkpoint"))
case("train-resume-missing-record", "resume", "train|--resume|{o}/step_000001.pth|--out|{o}/t",
     setup="copy:good.pth:step_000001.pth", says="incomplete checkpoint")
case("train-resume-and-init", "resume", "train|--resume|{r}/no-lr/step_000001.pth|--init|{w}/good.pth|--out|{o}/t",
     says="run.lr")
case("train-resume-mindspore-long-schedule", "resume",
     "train|--resume|{r}/ms-schedule/step_000001.ckpt|--out|{o}/t|--ms-mode|pynative",
     says=("step_000001.state.ckpt", "optimiser state"), memory=True)

# --- devices (this machine has no GPU and no Ascend) ------------------------------------------------------------------
for framework in ("torch", "mindspore"):
    case(f"train-gpu-{framework}", "device",
         f"train|--framework|{framework}|--data|synthetic|--device|GPU|--out|{{o}}/t",
         says="device GPU")
    case(f"enhance-gpu-{framework}", "device",
         f"enhance|{{i}}/ok8.png|-o|{{o}}/x.png|--framework|{framework}|--device|GPU", says="device GPU")
    case(f"eval-gpu-{framework}", "device", f"eval|--data|synthetic|--framework|{framework}|--device|gpu",
         says="device GPU")
    case(f"enhance-env-gpu-{framework}", "device", f"enhance|{{i}}/ok8.png|-o|{{o}}/x.png|--framework|{framework}",
         says="device GPU", env=(("JCRNET_DEVICE", "GPU"),))
case("train-ascend-torch", "device", "train|--framework|torch|--data|synthetic|--device|Ascend|--out|{o}/t",
     says="--framework mindspore")
case("train-ascend-mindspore", "device", "train|--framework|mindspore|--data|synthetic|--device|Ascend|--out|{o}/t",
     says="device Ascend")
case("train-device-tpu", "device", "train|--framework|torch|--data|synthetic|--device|TPU|--out|{o}/t", says="TPU")
case("enhance-device-tpu", "device", "enhance|{i}/ok8.png|-o|{o}/x.png|--device|TPU", says="TPU")
case("bench-gpu-mindspore", "device", "bench|--device|GPU|--backends|mindspore-graph|--sizes|16x24",
     says="device GPU")
case("verify-gpu", "device", "verify|--device|GPU|--size|16x24|--training-steps|0", says="device GPU")
case("verify-device-tpu", "device", "verify|--device|TPU|--size|16x24|--training-steps|0", says="TPU")

# --- jcrnet compare: the same weights gate on both sides --------------------------------------------------------------
for name in ("stride0.pth", "huge.ckpt", "evil.pth", "deflate-bomb.pth", "negative-dims.ckpt", "folder.pth"):
    case(f"compare-{name}", "weights", f"compare|{{w}}/good.pth|{{w}}/{name}",
         says=(f"{{w}}/{name}", REFUSED_WEIGHTS[name]), memory=name in EXPANDING)
case("compare-json-exists", "output", "compare|{w}/good.pth|{w}/good.ckpt|--json|{o}/c.json", setup="existing:c.json",
     says=("c.json", "already exists"))

# --- names and paths -------------------------------------------------------------------------------------------------
for query in ("", "../../etc/passwd", "lbp..conv", "ünïcødé", "x" * 5000, "tail.weight\nsecond line", "*"):
    case(f"where-{query[:12]!r}", "path", f"where|{query or EMPTY}", says="neither a spec path")
case("where-bad-preset", "path", "where|tail|--preset|nope", says="--preset")
for only in ("nosuch", "nosuch,other", "a\nb", "../x"):
    case(f"mutants-only-{only!r}", "path", f"mutants|--only|{only}", says="unknown mutant")
case("unknown-command", "path", "frobnicate", says="invalid choice")
