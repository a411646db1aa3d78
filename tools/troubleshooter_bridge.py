"""MindSpore TroubleShooter 1.0.18 on JCRNet (preset published): its documented weight flow, its comparison against the
kit's checkpoint, and the kit's name map (``jcrnet map``) through TroubleShooter's own loader and converter.

The numbers of docs/PORTING_GUIDE.md's "Coming from TroubleShooter" come from this script. TroubleShooter cannot
live in the project's venv (it pins ``protobuf<=3.20.1``, which breaks ``import mindspore`` 2.10); run it in a venv of
its own that sees the project's packages (the guide gives the commands):

    GLOG_v=3 PYTHONPATH=. /path/to/tsvenv/bin/python tools/troubleshooter_bridge.py --work /tmp/ts_work

It writes only under ``--work``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import torch  # before MindSpore

import mindspore as ms


def shim_mindspore_for_troubleshooter() -> None:
    """Two names TroubleShooter 1.0.18 reads at import that MindSpore 2.10 removed; both only serve its api_dump, which
    the weight tools never use: ``mindspore.common._stub_tensor.StubTensor`` and
    ``mindspore.common.api._MindsporeFunctionExecutor`` (now ``_JitExecutor``)."""
    import mindspore.common.api as api

    if not hasattr(ms.common, "_stub_tensor"):
        module = types.ModuleType("mindspore.common._stub_tensor")
        module.StubTensor = type("StubTensor", (), {})
        sys.modules["mindspore.common._stub_tensor"] = module
        ms.common._stub_tensor = module
    if not hasattr(api, "_MindsporeFunctionExecutor"):
        api._MindsporeFunctionExecutor = getattr(api, "_JitExecutor", object)


def quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def trained_like_torch_model():
    """The published model with what training moves moved (BatchNorm statistics, PReLU slopes, InstanceNorm affine
    parameters), so a parameter left at its initial value shows in the output."""
    from torch_reference import build_jcrnet

    torch.manual_seed(0)
    model = build_jcrnet("published").eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
            elif isinstance(m, torch.nn.PReLU):
                m.weight.uniform_(0.05, 0.45)
            elif isinstance(m, torch.nn.InstanceNorm2d):
                m.weight.normal_(1.0, 0.2)
                m.bias.normal_(0.0, 0.2)
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for the files it writes")
    parser.add_argument("--jcrnet", default=str(Path(sys.executable).parent / "jcrnet"),
                        help="the project's jcrnet command (default: beside this Python)")
    args = parser.parse_args()
    shim_mindspore_for_troubleshooter()
    import troubleshooter as ts
    from troubleshooter.widget import object_load

    from jcrnet_kit.name_map import name_map, troubleshooter_source
    from mindspore_impl import build_jcrnet as build_mindspore

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    print(f"troubleshooter {ts.__version__}, torch {torch.__version__}, MindSpore {ms.__version__}")
    model = trained_like_torch_model()
    state = model.state_dict()
    pth = str(work / "jcrnet.pth")
    torch.save(state, pth)
    x = np.random.default_rng(0).random((1, 3, 32, 48), np.float32)
    with torch.no_grad():
        reference = model(torch.from_numpy(x))[0].numpy()

    def load_and_run(params, strict):
        net = build_mindspore("published")
        net.set_train(False)
        not_loaded, unused = ms.load_param_into_net(net, params, strict_load=strict)
        return not_loaded, unused, float(np.abs(net(ms.Tensor(x))[0].asnumpy() - reference).max())

    print("\n[1] the documented flow: get_weight_map -> convert_weight -> load_param_into_net")
    ts_map = str(work / "ts_map.json")
    quiet(ts.migrator.get_weight_map, pt_net=model, weight_map_save_path=ts_map, print_map=False)
    names, _ = object_load(ts_map)
    print(f"  get_weight_map: {len(names)} entries; PReLU slopes mapped to '.a': "
          f"{sum(v.endswith('.a') for v in names.values())}; InstanceNorm weight/bias unmapped: "
          f"{sum('.norm.' in k and k == v for k, v in names.items())}; num_batches_tracked passed through: "
          f"{sum(k.endswith('num_batches_tracked') for k in names)}")
    ts_ckpt = str(work / "ts.ckpt")
    quiet(ts.migrator.convert_weight, weight_map_path=ts_map, pt_file_path=pth, ms_file_save_path=ts_ckpt,
          print_conv_info=False, print_save_path=False)
    ts_params = ms.load_checkpoint(ts_ckpt)
    not_loaded, unused, diff = load_and_run(ts_params, strict=False)
    print(f"  load: {len(ts_params)} tensors; param_not_load {len(not_loaded)} (left at their initial values), "
          f"ckpt_not_load {len(unused)}; enhanced max |diff| vs torch {diff:.3e}")

    print("\n[2] jcrnet convert, and TroubleShooter's compare_pth_and_ckpt against its checkpoint")
    kit_ckpt = str(work / "kit.ckpt")
    done = subprocess.run([args.jcrnet, "convert", pth, kit_ckpt, "--force"], capture_output=True, text=True)
    print("  " + (done.stdout.strip().splitlines() or [done.stderr.strip()[-300:]])[-1])
    kit = ms.load_checkpoint(kit_ckpt)
    quiet(ts.migrator.compare_pth_and_ckpt, ts_map, pth, kit_ckpt, print_level=1)
    only_ts, only_kit = set(ts_params) - set(kit), set(kit) - set(ts_params)
    print(f"  compare_pth_and_ckpt: {len(only_ts) + len(only_kit)} names without a partner ({len(only_ts)} only in "
          f"TroubleShooter's conversion, {len(only_kit)} only in the kit's)")
    not_loaded, unused, diff = load_and_run(kit, strict=True)
    print(f"  the kit's checkpoint, strict load: param_not_load {not_loaded}, ckpt_not_load {unused}; enhanced max "
          f"|diff| vs torch {diff:.3e}")

    print("\n[3] the kit's name map through TroubleShooter's own loader and converter")
    our_map = str(work / "jcrnet_map.json")
    done = subprocess.run([args.jcrnet, "map", our_map, "--force"], capture_output=True, text=True)
    print("\n".join("  " + line for line in done.stdout.strip().splitlines()) or done.stderr)
    names, values = object_load(our_map)
    print(f"  object_load: [{len(names)} names, {len(values)} value functions]")
    try:
        quiet(ts.migrator.convert_weight, weight_map_path=our_map, pt_file_path=pth,
              ms_file_save_path=str(work / "direct.ckpt"), print_conv_info=False, print_save_path=False)
        print("  convert_weight(pt_file_path=jcrnet.pth): accepted")
    except ValueError:
        print("  convert_weight(pt_file_path=jcrnet.pth): ValueError (the map's keys are not the file's: "
              "num_batches_tracked and the shared-slope copies have no entry)")
    source = troubleshooter_source(name_map("published"), {k: v.numpy() for k, v in state.items()})
    source = collections.OrderedDict((k, torch.from_numpy(np.ascontiguousarray(v))) for k, v in source.items())
    ours_ckpt = str(work / "ours.ckpt")
    quiet(ts.migrator.convert_weight, weight_map_path=our_map, pt_param_dict=source, ms_file_save_path=ours_ckpt,
          print_conv_info=False, print_save_path=False)
    ours = ms.load_checkpoint(ours_ckpt)
    identical = set(ours) == set(kit) and all(
        np.array_equal(ours[k].asnumpy(), kit[k].asnumpy()) and ours[k].dtype == kit[k].dtype for k in kit)
    not_loaded, unused, diff = load_and_run(ours, strict=True)
    print(f"  convert_weight(pt_param_dict=troubleshooter_source(...)): {len(ours)} tensors, bit-identical to jcrnet "
          f"convert's: {identical}; strict load: param_not_load {not_loaded}, ckpt_not_load {unused}; enhanced max "
          f"|diff| vs torch {diff:.3e}")
    source_pth = str(work / "source.pth")
    torch.save(source, source_pth)
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        ts.migrator.compare_pth_and_ckpt(our_map, source_pth, kit_ckpt, print_level=1)
    rows = [line for line in report.getvalue().splitlines() if line.startswith("|") and "." in line]
    print(f"  compare_pth_and_ckpt(jcrnet_map.json, source.pth, kit.ckpt): {len(rows)} rows (shapes, values), "
          f"{sum('None' in line for line in rows)} without a partner, {sum('False' in line for line in rows)} "
          f"not allclose")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
