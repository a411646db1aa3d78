"""JCRNet's blocks in MindSpore. Children come from the spec in attribute order; only the dataflow is written here.

Read this file beside ``torch_reference/blocks.py``: same classes, same order, same names.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from mindspore import nn, ops

from jcrnet_spec import Block, validate_input_shape
from mindspore_impl.compat import leaky_relu


class SpecBlock(nn.Cell):
    """A block whose children are the spec's, set as attributes in spec order."""

    def __init__(self, node: Block, children: List[Tuple[str, object]]):
        super().__init__()
        for name, child in children:
            setattr(self, name, child)


class ResBlock(SpecBlock):
    def construct(self, x):
        return self.body(x) + x


class CALayer(SpecBlock):
    def construct(self, x):
        return x * self.conv_du(self.avg_pool(x))


class CAB(SpecBlock):
    def construct(self, x):
        return self.CA(self.body(x)) + x


class UNetConvBlock(SpecBlock):
    """Conv block of HINet; with ``norm``, the first half of the channels is instance-normalised (HIN)."""

    def __init__(self, node, children):
        super().__init__(node, children)
        names = [name for name, _ in node.children]
        self.use_hin = "norm" in names
        self.use_downsample = "downsample" in names

    def construct(self, x):
        out = self.conv_1(x)
        if self.use_hin:
            normed, kept = ops.chunk(out, 2, axis=1)
            out = ops.cat([self.norm(normed), kept], axis=1)
        out = self.relu_1(out)
        out = self.relu_2(self.conv_2(out))
        out = out + self.identity(x)
        if self.use_downsample:
            return self.downsample(out), out
        return out


class Encoder(SpecBlock):
    """Returns (bottom features, pre-downsample skip)."""

    def construct(self, x):
        x, skip = self.body[0](x)
        return self.body[1](x), skip


class UNetUpBlock(SpecBlock):
    def construct(self, x, bridge):
        return self.conv_block(ops.cat([self.up(x), bridge], axis=1))


class Decoder(SpecBlock):
    def construct(self, x, skip):
        return self.body[0](x, self.skip_conv[0](skip))


class SAM(SpecBlock):
    """Returns (features, stage image)."""

    def construct(self, x, x_img):
        return self.conv1(x) + x, self.conv2(x) + x_img


class SFTLayer(SpecBlock):
    def __init__(self, node, children):
        super().__init__(node, children)
        self.condition_slope = node.option("condition_slope")
        self.fused_slope = node.option("fused_slope")

    def construct(self, x, cond):
        scale = self.SFT_scale_conv1(leaky_relu(self.SFT_scale_conv0(cond), self.condition_slope))
        fused = leaky_relu(self.SFT2(ops.cat([x, scale], axis=1)), self.fused_slope)
        shift = self.SFT_shift_conv1(leaky_relu(self.SFT_shift_conv0(cond), self.condition_slope))
        return fused + shift


class ResBlockSFT(SpecBlock):
    def construct(self, x, cond):
        fea = ops.relu(self.conv0(self.sft0(x, cond)))
        return x + self.conv1(self.sft1(fea, cond))


class IllumNet(SpecBlock):
    """Maps the stage-1 image to an illumination-adjusted image in (0, 1)."""

    def construct(self, x):
        edge = ops.relu(self.conv11(x))
        edge = ops.relu(self.conv12(edge))
        edge = ops.relu(self.conv13(edge))
        edge = ops.relu(self.conv14(edge))
        edge = ops.relu(self.conv15(edge))
        fea = self.sft(self.conv0(x), self.CondNet(edge))
        res1 = ops.relu(self.bn3(self.conv3(fea)))
        out = ops.relu(self.bn4(self.conv4(res1)))
        out = ops.relu(self.bn5(self.conv5(out)) + res1)
        out = ops.relu(self.bn8(self.conv8(out)))
        res7 = ops.relu(self.bn9(self.conv9(out)))
        out = ops.relu(self.bn25(self.conv25(res7)) + res7)
        return self.tanh(self.conv26(out))


class ConvBlock(SpecBlock):
    def construct(self, x):
        return self.act(self.conv(x))


class LightenBlock(SpecBlock):
    def construct(self, x):
        code = self.conv_Encoder(x)
        return self.conv_Decoder(code + self.conv_Offset(code))


class DarkenBlock(SpecBlock):
    def construct(self, x):
        code = self.conv_Encoder(x)
        return self.conv_Decoder(code - self.conv_Offset(code))


class FusionLayer(SpecBlock):
    def construct(self, x):
        n, c = x.shape[0], x.shape[1]
        weight = self.fc(self.avg_pool(x).reshape(n, c)).reshape(n, c, 1, 1)
        return self.outlayer(x * weight + x)


class LBP(SpecBlock):
    """Lighten back-projection; returns the residual branch only."""

    def construct(self, x):
        x = self.fusion(x)
        low = self.conv2(self.conv1_1(x))
        return self.conv3(self.local_weight1_1(x) - low)


class JCRNet(SpecBlock):
    """construct(img) -> (enhanced, stage1); img is N x 3 x H x W in [0, 1] with even H and W."""

    def construct(self, img):
        validate_input_shape(img.shape)
        x1_img = img - self.r0 * self.phit_0(self.phi_0(img) - img)
        x1 = self.shallow_feat1(x1_img)
        bottom, skip = self.stage1_encoder(x1)
        decoded = self.stage1_decoder(bottom, skip)
        feats, stage1 = self.sam12(decoded, x1_img)
        illuminated = self.illum(stage1)
        x7_img = illuminated - self.r6 * self.phit_6(self.phi_6(illuminated) - img)
        x7 = self.shallow_feat7(x7_img)
        fused = self.concat67(ops.cat([x7, feats], axis=1))
        enhanced = self.tail(fused) + img + self.lbp(img)
        return enhanced, stage1


BLOCK_CLASSES: Dict[str, type] = {
    cls.__name__: cls
    for cls in (ResBlock, CALayer, CAB, UNetConvBlock, Encoder, UNetUpBlock, Decoder, SAM, SFTLayer, ResBlockSFT,
                IllumNet, ConvBlock, LightenBlock, DarkenBlock, FusionLayer, LBP, JCRNet)
}


def make_block(node: Block, children: List[Tuple[str, object]]) -> nn.Cell:
    if node.kind == "Sequential":
        return nn.SequentialCell([child for _, child in children])
    if node.kind == "List":
        return nn.CellList([child for _, child in children])
    return BLOCK_CLASSES[node.kind](node, children)
