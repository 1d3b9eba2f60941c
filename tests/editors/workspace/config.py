"""Reading the training configuration."""

import yaml


def read_config(path):
    with open(path) as f:
        return yaml.load(f)
