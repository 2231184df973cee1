"""What the project's small CPU networks (upscaler, segmenter, describer) share to train: one loop
(`loop.py`) and one command line (`command.py`); each package keeps only its data and its loss."""
