"""What the Triton Python models that take one image and answer for it share (upscale, background,
describe in model_repository/): their settings, the image check and the per-request answering.
Shipped in the Triton images beside the model repository (Dockerfile)."""
