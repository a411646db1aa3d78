"""``.onnx`` destinations: an ONNX export from either implementation, checked by onnxruntime before it is kept.

Graph contract of every export: one input ``image`` (N x 3 x H x W, float32, H and W dynamic and even), outputs
``enhanced`` then ``stage1`` (the model's order), weights as initializers, metadata naming the preset, exporter,
opset and kit version.

- From torch: ``torch.onnx.export(..., dynamo=False)``, the TorchScript exporter, opset ``TORCH_OPSET``; N, H and W
  dynamic. (torch 2.13's default dynamo exporter needs ``onnxscript``, which the kit does not depend on.)
- From MindSpore: ``mindspore.onnx.export`` writes opset 11 with three faults that ``repair_mindspore_onnx`` fixes
  (see there); N stays fixed at 1, because MindSpore bakes the traced batch size into the Reshape of the LBP fusion
  layer.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Dict, Mapping

import numpy as np

from convert.errors import ConversionError
from jcrnet_spec.errors import first_line
from jcrnet_spec import OUTPUTS

INPUT_NAME = "image"
TORCH_OPSET = 17
EXPORTERS = ("torch", "mindspore")
#: A trace input; any even H and W give the same graph.
TRACE_SHAPE = (1, 3, 32, 48)


def _export_torch(tensors: Mapping[str, np.ndarray], preset: str, file_name: Path) -> None:
    import torch

    import torch_reference

    model = torch_reference.build_jcrnet(preset, weights=tensors).eval()
    dims = {0: "N", 2: "H", 3: "W"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # TracerWarnings from the input-shape check, the exporter's deprecation note
        torch.onnx.export(model, (torch.zeros(TRACE_SHAPE),), str(file_name), dynamo=False, opset_version=TORCH_OPSET,
                          input_names=[INPUT_NAME], output_names=list(OUTPUTS),
                          dynamic_axes={name: dims for name in (INPUT_NAME, *OUTPUTS)})


def _export_mindspore(tensors: Mapping[str, np.ndarray], preset: str, file_name: Path) -> None:
    import torch  # noqa: F401  (before MindSpore)

    import mindspore as ms
    import mindspore_impl
    from mindspore_impl.compat import export_onnx

    net = mindspore_impl.build_jcrnet(preset, weights=tensors)
    net.set_train(False)
    export_onnx(net, ms.Tensor(np.zeros(TRACE_SHAPE, np.float32)), str(file_name))


def repair_mindspore_onnx(model):
    """Fix the three faults of MindSpore 2.10's ONNX export of JCRNet, in place; returns the model.

    1. ``ConvTranspose`` carries ``output_shape`` with all four NCHW sizes where ONNX wants the two spatial ones,
       so onnxruntime refuses the file ("Attribute output_shape has incorrect size"). Without the attribute ONNX
       computes the same 2H x 2W from strides, kernel and pads (no output padding), for any H and W.
    2. Passing ``output_names`` renames the graph outputs but not the nodes that read an output inside the graph
       (``stage1`` feeds the illumination net), leaving a dangling input; so outputs are left unnamed at export and
       named here through ``Identity`` nodes.
    3. Input and outputs are declared with the traced H and W; they are declared dynamic here.
    """
    import onnx
    from onnx import helper

    graph = model.graph
    for node in graph.node:
        if node.op_type == "ConvTranspose":
            kept = [a for a in node.attribute if a.name != "output_shape"]
            del node.attribute[:]
            node.attribute.extend(kept)
    if len(graph.input) != 1 or len(graph.output) != len(OUTPUTS):
        raise RuntimeError(f"MindSpore's export has {len(graph.input)} inputs and {len(graph.output)} outputs")
    old_input = graph.input[0].name
    batch = graph.input[0].type.tensor_type.shape.dim[0].dim_value
    for node in graph.node:
        node.input[:] = [INPUT_NAME if name == old_input else name for name in node.input]
    del graph.input[:]
    graph.input.append(helper.make_tensor_value_info(INPUT_NAME, onnx.TensorProto.FLOAT, [batch, 3, "H", "W"]))
    produced = [out.name for out in graph.output]
    del graph.output[:]
    for name, source in zip(OUTPUTS, produced):
        graph.node.append(helper.make_node("Identity", [source], [name], name=f"output_{name}"))
        graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [batch, 3, "H", "W"]))
    return model


def export_onnx(tensors: Mapping[str, np.ndarray], preset: str, exporter: str, path: Path,
                kit_version: str) -> Dict[str, str]:
    """Export float32 weights (named for ``exporter``'s framework) to ``path``; returns the recorded metadata."""
    import onnx

    if exporter not in EXPORTERS:
        raise ConversionError(None, f"unknown ONNX exporter {exporter!r}; choose one of {', '.join(EXPORTERS)}")
    with tempfile.TemporaryDirectory(prefix="jcrnet-onnx-") as scratch:
        raw = Path(scratch) / "model.onnx"
        try:
            (_export_torch if exporter == "torch" else _export_mindspore)(tensors, preset, raw)
        except Exception as error:  # an exporter failure is reported, never a traceback
            raise ConversionError(path, f"the {exporter} ONNX exporter failed: {first_line(error)}") from None
        model = onnx.load(str(raw))
    if exporter == "mindspore":
        model = repair_mindspore_onnx(model)
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    framework_version = _framework_version(exporter)
    metadata = {
        "jcrnet.preset": preset,
        "jcrnet.exporter": f"{exporter} {framework_version}",
        "jcrnet.opset": str(opset),
        "jcrnet.input": f"{INPUT_NAME} {'N' if exporter == 'torch' else 1}x3xHxW float32",
        "jcrnet.outputs": ",".join(OUTPUTS),
        "jcrnet.kit_version": kit_version,
    }
    onnx.helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return metadata


def _framework_version(exporter: str) -> str:
    if exporter == "torch":
        import torch

        return torch.__version__
    import mindspore

    return mindspore.__version__
