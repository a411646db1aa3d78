#!/usr/bin/env bash
# The kit on an NVIDIA GPU, end to end, into one JSON report (make gpu-check; docs/PERFORMANCE.md, "GPU").
#
# Two virtual environments under --work, because the two frameworks need different CUDA majors in one process
# otherwise (torch 2.13 from PyPI: CUDA 12 and cuDNN 9; MindSpore 2.10's GPU plugin: CUDA 11.x and cuDNN 8, sonames
# libcudart.so.11.0, libcublas.so.11, libcudnn.so.8, libcufft.so.10, libcurand.so.10, libcusolver.so.11,
# libcusparse.so.11, libnvrtc.so.11.2), and cuDNN 8 and 9 export the same symbols:
#   torch/      the CUDA build of torch from PyPI (its nvidia-*-cu12 wheels come with it) + the kit;
#   mindspore/  the kit as constraints.txt pins it (torch's CPU build, which MindSpore processes import first) + the
#               CUDA 11 runtime from PyPI's nvidia-*-cu11 wheels, put on LD_LIBRARY_PATH (CUDA 11.8 libraries serve
#               the plugin built for 11.6: CUDA's minor-version compatibility, driver >= 450.80).
# Then: each framework's GPU seen at all; `jcrnet verify --device GPU` (small size); the forward-parity tests with
# MindSpore on the GPU; a few training steps in each framework; `jcrnet bench --device GPU` per framework. TF32 is off
# everywhere: NVIDIA_TF32_OVERRIDE=0 overrides every framework's TF32 setting inside cuBLAS and cuDNN.
#
# A framework that cannot use the GPU is reported in one line (its steps are skipped) and the script exits 1.
# On a machine without an NVIDIA GPU it checks its arguments, says so and exits 0.
set -uo pipefail

usage() {
    cat <<'EOF'
usage: tools/gpu_check.sh [--out FILE] [--work DIR] [--size HxW] [--steps N] [--no-install]
  --out FILE     the JSON report (default out/gpu_check.json)
  --work DIR     virtual environments and logs (default .venv-gpu-check)
  --size HxW     image size of verify and bench (even sides; default 256x256)
  --steps N      training steps per framework (default 3)
  --no-install   reuse the environments under --work as they are
EOF
}

die() { echo "gpu_check.sh: $*" >&2; exit 2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="out/gpu_check.json"
WORK=".venv-gpu-check"
SIZE="256x256"
STEPS=3
INSTALL=1
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || die "--out needs a file"; OUT="$2"; shift 2 ;;
        --work) [ $# -ge 2 ] || die "--work needs a folder"; WORK="$2"; shift 2 ;;
        --size) [ $# -ge 2 ] || die "--size needs HxW"; SIZE="$2"; shift 2 ;;
        --steps) [ $# -ge 2 ] || die "--steps needs a number"; STEPS="$2"; shift 2 ;;
        --no-install) INSTALL=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
[[ "$SIZE" =~ ^([0-9]+)x([0-9]+)$ ]] || die "--size $SIZE: give HxW, e.g. 256x256"
H=${BASH_REMATCH[1]}; W=${BASH_REMATCH[2]}
{ [ $((H % 2)) -eq 0 ] && [ $((W % 2)) -eq 0 ] && [ "$H" -ge 16 ] && [ "$W" -ge 16 ] && [ "$H" -le 2160 ] \
    && [ "$W" -le 3840 ]; } || die "--size $SIZE: both sides even, from 16 up to 2160x3840"
[[ "$STEPS" =~ ^[0-9]+$ ]] && [ "$STEPS" -ge 1 ] && [ "$STEPS" -le 1000 ] || die "--steps $STEPS: a whole number, 1 to 1000"
OUT_DIR="$(dirname "$OUT")"
[ -d "$OUT_DIR" ] || mkdir -p "$OUT_DIR" 2>/dev/null || die "--out $OUT: cannot create its folder $OUT_DIR"
[ -w "$OUT_DIR" ] || die "--out $OUT: its folder $OUT_DIR is not writable"

NVIDIA_SMI="${GPU_CHECK_NVIDIA_SMI:-nvidia-smi}"  # the test suite points this elsewhere to take the CPU-only path
if [ "$(uname -s)" != "Linux" ]; then
    echo "gpu_check.sh: this is $(uname -s), not Linux; MindSpore's GPU plugin is Linux-only: nothing to check"
    exit 0
fi
if ! command -v "$NVIDIA_SMI" >/dev/null 2>&1; then
    echo "gpu_check.sh: no NVIDIA GPU here ($NVIDIA_SMI not found): nothing to check (arguments are fine)"
    exit 0
fi
if ! GPUS="$("$NVIDIA_SMI" --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1)" \
    || [ -z "$GPUS" ]; then
    echo "gpu_check.sh: no usable NVIDIA GPU here ($NVIDIA_SMI: ${GPUS:-no GPU listed}): nothing to check"
    exit 0
fi
echo "gpu_check.sh: GPU(s): $GPUS"

cd "$ROOT" || exit 2
mkdir -p "$WORK/logs" || die "--work $WORK: cannot create it"
WORK="$(cd "$WORK" && pwd)"
RESULTS="$WORK/steps.jsonl"
: > "$RESULTS"
export NVIDIA_TF32_OVERRIDE=0 PYTHONUNBUFFERED=1
PY="${PYTHON:-python3}"
TORCH_VERSION="$(sed -n 's/^torch==//p' constraints.txt)"
CU11_WHEELS="nvidia-cuda-runtime-cu11==11.8.89 nvidia-cublas-cu11==11.11.3.6 nvidia-cudnn-cu11==8.9.6.50
    nvidia-cufft-cu11==10.9.0.58 nvidia-curand-cu11==10.3.0.86 nvidia-cusolver-cu11==11.4.1.48
    nvidia-cusparse-cu11==11.7.5.86 nvidia-cuda-nvrtc-cu11==11.8.89"

# step NAME ENV TIMEOUT COMMAND...: run it with ENV's python first on PATH, log it, append one JSON line.
step() {
    local name="$1" env="$2" limit="$3"; shift 3
    local log="$WORK/logs/$name.log" started rc
    started=$(date +%s)
    echo "== $name"
    (export PATH="$WORK/$env/bin:$PATH"; timeout "$limit" "$@") > "$log" 2>&1
    rc=$?
    local seconds=$(( $(date +%s) - started ))
    local last
    last="$(grep -v '^\[WARNING\]' "$log" | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-300)"
    [ $rc -eq 124 ] && last="timed out after ${limit} s; $last"
    if [ $rc -eq 0 ]; then echo "   ok (${seconds} s)"; else echo "   FAILED (exit $rc): $last"; fi
    "$PY" -c 'import json, sys; print(json.dumps({"step": sys.argv[1], "env": sys.argv[2], "command": sys.argv[3],
"exit": int(sys.argv[4]), "seconds": int(sys.argv[5]), "last_line": sys.argv[6], "log": sys.argv[7]}))' \
        "$name" "$env" "$*" "$rc" "$seconds" "$last" "$log" >> "$RESULTS"
    return $rc
}

skip() {
    echo "== $1: skipped ($2)"
    "$PY" -c 'import json, sys; print(json.dumps({"step": sys.argv[1], "skipped": sys.argv[2]}))' "$1" "$2" >> "$RESULTS"
}

if [ $INSTALL -eq 1 ]; then
    grep -v '^torch==' constraints.txt > "$WORK/constraints-without-torch.txt"
    step install-torch-env torch 3600 bash -c "rm -rf '$WORK/torch' && $PY -m venv '$WORK/torch' && \
        '$WORK/torch/bin/pip' install -q 'torch==$TORCH_VERSION' && \
        '$WORK/torch/bin/pip' install -q -c '$WORK/constraints-without-torch.txt' -e '.[test]'"
    step install-mindspore-env mindspore 3600 bash -c "rm -rf '$WORK/mindspore' && $PY -m venv '$WORK/mindspore' && \
        '$WORK/mindspore/bin/pip' install -q 'torch==$TORCH_VERSION' --index-url https://download.pytorch.org/whl/cpu && \
        '$WORK/mindspore/bin/pip' install -q -c constraints.txt -e '.[test]' && \
        '$WORK/mindspore/bin/pip' install -q $(echo $CU11_WHEELS)"
fi

# The CUDA 11 libraries of the nvidia-*-cu11 wheels, for MindSpore's plugin.
CU11_LIBS="$("$WORK/mindspore/bin/python" - <<'EOF' 2>/dev/null
import glob, os, site
roots = [os.path.join(p, "nvidia") for p in site.getsitepackages()]
print(":".join(sorted({os.path.dirname(f) for r in roots for f in glob.glob(os.path.join(r, "*", "lib", "lib*.so*"))})))
EOF
)"
export LD_LIBRARY_PATH="${CU11_LIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

TORCH_OK=0; MS_OK=0
step torch-sees-gpu torch 600 python -c 'import torch
if not torch.cuda.is_available():
    raise SystemExit(f"torch {torch.__version__} (CUDA {torch.version.cuda}) cannot use the GPU here")
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
x = torch.rand(64, 64, device="cuda")
print(f"torch {torch.__version__} CUDA {torch.version.cuda} on {torch.cuda.get_device_name(0)}: "
      f"{float((x @ x).sum()):.3f}")' && TORCH_OK=1
step mindspore-sees-gpu mindspore 600 python -c 'import torch  # first, as in every kit process
import sys
import mindspore as ms
from mindspore_impl.compat import check_available
from jcrnet_spec.errors import UserError
try:
    check_available("GPU")
except UserError as error:
    sys.exit(str(error))
ms.set_device("GPU")
x = ms.Tensor([[1.0, 2.0], [3.0, 4.0]])
print(f"MindSpore {ms.__version__} on GPU: {float((x @ x).sum().asnumpy()):.1f}")' && MS_OK=1

if [ $MS_OK -eq 1 ]; then
    step verify-gpu mindspore 3600 jcrnet verify --device GPU --size "$SIZE" --training-steps 3 \
        --json "$WORK/verify.json" --force
    step forward-parity-gpu mindspore 3600 env JCRNET_DEVICE=GPU python -m pytest -q -p no:cacheprovider \
        parity_tests/test_forward_parity.py
    step train-mindspore-gpu mindspore 3600 jcrnet train --framework mindspore --device GPU --data synthetic \
        --steps "$STEPS" --val-every 0 --out "$WORK/train_mindspore" --json "$WORK/train_mindspore.json" --force
    step bench-mindspore-gpu mindspore 3600 jcrnet bench --device GPU --sizes "$SIZE" \
        --backends mindspore-pynative,mindspore-graph,mindspore-train --json "$WORK/bench_mindspore.json" --force
else
    for s in verify-gpu forward-parity-gpu train-mindspore-gpu bench-mindspore-gpu; do
        skip $s "MindSpore cannot use the GPU: see mindspore-sees-gpu"
    done
fi
if [ $TORCH_OK -eq 1 ]; then
    step train-torch-gpu torch 3600 jcrnet train --framework torch --device GPU --data synthetic --steps "$STEPS" \
        --val-every 0 --out "$WORK/train_torch" --json "$WORK/train_torch.json" --force
    step bench-torch-gpu torch 3600 jcrnet bench --device GPU --sizes "$SIZE" --backends torch-eager,torch-train \
        --json "$WORK/bench_torch.json" --force
else
    for s in train-torch-gpu bench-torch-gpu; do skip $s "torch cannot use the GPU: see torch-sees-gpu"; done
fi

"$PY" - "$RESULTS" "$OUT" "$WORK" "$GPUS" <<'EOF'
import json, os, sys
results, out, work, gpus = sys.argv[1:5]
steps = [json.loads(line) for line in open(results)]
report = {"gpus": gpus.splitlines(), "steps": steps}
for name in ("verify", "bench_mindspore", "bench_torch", "train_mindspore", "train_torch"):
    path = os.path.join(work, name + ".json")
    if os.path.exists(path):
        report[name] = json.load(open(path))
report["passed"] = all(s.get("exit") == 0 for s in steps)
json.dump(report, open(out, "w"), indent=2)
failed = [s["step"] for s in steps if s.get("exit", 0) != 0 or "skipped" in s]
print(f"gpu_check.sh: wrote {out}; " + ("every step passed" if not failed else "failed or skipped: " + ", ".join(failed)))
sys.exit(0 if report["passed"] and not failed else 1)
EOF
