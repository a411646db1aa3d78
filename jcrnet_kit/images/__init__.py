"""Images in and out of the network: reading and writing any image kind, paired data and the synthetic set, random
patches, tiling large images, metrics (PSNR / SSIM) and the built-in sample image."""
