"""Loading training checkpoints."""

import torch


def load_checkpoint(path):
    return torch.load(path)
