"""Saving and loading training checkpoints."""

import pickle

import numpy as np
import torch

from .settings import SAFE_CHECKPOINTS


def load_weights(path, weights_only=SAFE_CHECKPOINTS):
    # Safe: `weights_only` resolves to True through the constant and every call site.
    return torch.load(path, map_location="cpu", weights_only=weights_only)


def load_optimizer_state(path):
    # Flagged: unpickles whatever the file contains.
    return torch.load(path, map_location="cpu")


def load_features(path):
    # Flagged: object arrays are pickles.
    return np.load(path, allow_pickle=True)


def load_cache(blob):
    # Flagged: pickle runs code chosen by whoever wrote the blob.
    return pickle.loads(blob)


def save_cache(obj):
    # Not flagged: dumping is safe.
    return pickle.dumps(obj)
