"""Where the authors' code and ``shared/reference/JCRNET.md`` disagree or leave a point open, and what the oracle does.

AUTHORS = Daniel00008/JCRNet-mindspore ``DGUNet_LBP9_M.py`` at HEAD 5246848 (blob 8db8d05). For the ``published``
variant the authors' code wins.
"""

from __future__ import annotations

from typing import NamedTuple, Tuple


class Disagreement(NamedTuple):
    topic: str
    authors: str
    jcrnet_md: str
    oracle: str


DISAGREEMENTS: Tuple[Disagreement, ...] = (
    Disagreement(
        "step sizes r0, r6 (published)",
        "lines 518-519: self.r0 = Tensor([0.4412]); self.r6 = Tensor([0.4965]) - MindSpore makes a float32 tensor "
        "from a Python float list, so the factors are 0.44119998812675476 and 0.4964999854564667",
        "Forward pass step 1 / 'Two presets': r0 = 0.4412, r6 = 0.4965 fixed constants",
        "uses the float32-rounded values (relative difference 2.7e-8 and 2.9e-8: below the fp32 round-off budget, "
        "so the kit may use either)",
    ),
    Disagreement(
        "file and class name",
        "Daniel00008/JCRNet-mindspore has DGUNet_LBP9_M.py with class DGUNet (line 497); woshiyll/JCRNet has "
        "JCRNet_LBP9_M.py, identical except the class is called JCRNet (lines 496-499)",
        "introduction and the tsv header: the file is JCRNet_LBP9_M.py in both repositories",
        "no numerical effect; line numbers cited by the oracle are those of DGUNet_LBP9_M.py",
    ),
    Disagreement(
        "input of LBP's conv1_1 and local_weight1_1",
        "line 282: x = self.fusion(x) rebinds x, so hr = conv1_1(fused) and local_weight1_1(fused)",
        "step 9 writes hr = conv1_1(x) and local_weight1_1(x) after describing fusion, without saying x is the "
        "fusion output (ambiguous, not contradictory)",
        "both take the fusion output",
    ),
    Disagreement(
        "InstanceNorm variance and statistics",
        "line 186: nn.InstanceNorm2d(out_size // 2, affine=True) (eps 1e-5 by default); the convention is the "
        "framework's",
        "pitfall 6 / step 3: InstanceNorm2d(affine, eps 1e-5), moving statistics never used; the variance "
        "convention is not stated",
        "per-sample statistics with the biased (population) variance; moving statistics ignored",
    ),
    Disagreement(
        "running statistics in the checkpoint layout",
        "MindSpore creates BatchNorm/InstanceNorm moving_mean / moving_variance with requires_grad=False",
        "JCRNET.md counts 1,790 running statistics, but every row of authors_ms_checkpoint_layout.tsv "
        "(including those 1,790 values) is labelled 'trainable'",
        "the fourth column of the tsv is not read; no effect on the forward pass",
    ),
    Disagreement(
        "which convs get a bias in torch-defaults",
        "every nn.Conv2d whose has_bias is left at MindSpore's default False: identity (171), skip_conv (234), "
        "SFTLayer (366-370), ResBlock_SFT (384, 386), illuminationNet (399-403, 409-410, 412, 417-445), "
        "conv40_64 / conv64_40 (525, 530); csff_* (180-183) would too but csff=False",
        "'bias on every conv where torch defaults to it (the list above)': the same 35 convs",
        "agree; expressed as Variant.default_bias; r0/r6 as parameters - torch-defaults is fully expressible",
    ),
)
