"""Make docs/before_after.jpg: photos the shipped weights never saw, darkened by the kit's synthetic low-light model
and enhanced by ``jcrnet_kit.images.tiling`` with the shipped weights (PyTorch), next to the reference.

    python tools/before_after.py [OUT]    (default docs/before_after.jpg)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from convert import load_weights
from jcrnet_kit.images.metrics import psnr_ssim
from jcrnet_kit.images.synthetic import synthetic_pairs
from jcrnet_kit.images.tiling import enhance_array
from jcrnet_kit.models import build_forward
from jcrnet_kit.shipped import default_weights
from jcrnet_kit.train.data import SYNTHETIC_PHOTOS

SEED = 7  # not the training seed (0) nor its validation seed (1)


def main(out: Path) -> None:
    forward = build_forward(load_weights(default_weights()), "torch")
    unseen = synthetic_pairs(SEED, max_side=320)[SYNTHETIC_PHOTOS:]  # the photos training never used
    rows = []
    for pair in unseen[:2]:
        enhanced = np.clip(enhance_array(forward, pair.low), 0.0, 1.0)
        (p_in, s_in), (p_out, s_out) = psnr_ssim(pair.low, pair.high), psnr_ssim(enhanced, pair.high)
        print(f"{pair.name}: input {p_in:.2f} dB / {s_in:.3f} -> enhanced {p_out:.2f} dB / {s_out:.3f}")
        tiles = [Image.fromarray(np.round(a * 255).astype(np.uint8)) for a in (pair.low, enhanced, pair.high)]
        labels = (f"low light ({p_in:.1f} dB)", f"JCRNet, shipped weights ({p_out:.1f} dB)", "reference")
        row = Image.new("RGB", (sum(t.width for t in tiles) + 8 * 2, tiles[0].height + 18), "white")
        x = 0
        for tile, label in zip(tiles, labels):
            row.paste(tile, (x, 18))
            ImageDraw.Draw(row).text((x + 2, 3), label, fill="black")
            x += tile.width + 8
        rows.append(row)
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows) + 8), "white")
    y = 0
    for row in rows:
        sheet.paste(row, (0, y))
        y += row.height + 8
    sheet.save(out, quality=88, optimize=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/before_after.jpg"))
