"""Strict, lossless conversion of JCRNet weights between PyTorch, MindSpore, safetensors and ONNX.

>>> import convert
>>> tensors, naming, preset = convert.load_weights("jcrnet.pth")       # ("torch", "published")
>>> report = convert.convert("jcrnet.pth", "jcrnet.ckpt", verify=True)  # the API of ``jcrnet convert``

Formats follow from the extension: ``.pth`` / ``.pt`` (torch state_dict; read with ``torch.load(weights_only=True)``,
also nested under ``state_dict`` / ``model`` / ``params`` and with DataParallel's ``module.`` prefix), ``.ckpt``
(MindSpore checkpoint, the published layout included), ``.safetensors`` (either naming; metadata records naming,
preset and kit version) and ``.onnx`` (destination only). Names and shapes come from ``jcrnet_spec``; the preset is
detected from the exact key set and never changed. Every failure is one ``ConversionError`` line naming the file,
and nothing is written: output goes to a temporary file that is renamed into place only after it was written (and
verified, if asked).

Decisions (docs/CONVERSION.md has the details):

- Lossless: tensors are copied bit for bit; a dtype changes only by ``dtype=``. .pth -> .ckpt -> .safetensors ->
  .pth returns the same bits.
- Values one framework has no key for are filled by the spec on the way in and reported on the way out, never
  silently lost: torch's ``num_batches_tracked`` (absent in MindSpore naming; reads back as 0) and MindSpore's
  InstanceNorm ``moving_mean`` / ``moving_variance`` (absent in torch naming; read back as 0 / 1). Neither affects
  any output, so a round trip of a checkpoint whose values are the fills is bit-identical; otherwise a note says
  which values reset. A ``.safetensors`` file keeps the source's naming by default, so it holds either set exactly.
- NaN / Inf: refused by default, naming the first tensors; ``allow_nonfinite=True`` (``--allow-nonfinite``)
  converts them with a note. A cast that overflows (float16 beyond 65504) is refused the same way.
- Unsafe pickles: ``torch.load(weights_only=True)`` only; a refused pickle is reported as unsafe, never retried.
- ONNX: from torch with the TorchScript exporter at opset 17 (N, H, W dynamic); from MindSpore with
  ``mindspore.onnx.export`` at opset 11 plus three repairs (H, W dynamic, N fixed at 1). Outputs ``enhanced``,
  ``stage1``.
"""

from convert.core import Report, convert, save_weights
from convert.errors import ConversionError, VerificationError
from convert.weights import Weights, load_weights

__all__ = ["ConversionError", "Report", "VerificationError", "Weights", "convert", "load_weights", "save_weights"]
