"""Training entry point of the demo project."""

import yaml

from mlapp.checkpoints import load_optimizer_state, load_weights
from mlapp.models import load_model


def read_config(path):
    with open(path) as f:
        # Flagged: yaml.load without a safe Loader can build arbitrary objects.
        return yaml.load(f)


def read_safe_config(path):
    with open(path) as f:
        return yaml.load(f, Loader=yaml.SafeLoader)


def main():
    config = read_safe_config("config.yaml")
    model = load_model()
    model.load_state_dict(load_weights(config["weights"]))
    load_optimizer_state(config["optimizer"])


if __name__ == "__main__":
    main()
