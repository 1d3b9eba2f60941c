"""Project settings shared by the training and serving code."""

# A full commit sha pins the model: what was reviewed is what loads.
MODEL_ID = "google-bert/bert-base-uncased"
MODEL_REVISION = "86b5e0934494bd15c9632b12f734a8a67f723594"

# A branch name does not pin anything.
TOKENIZER_REVISION = "main"

SAFE_CHECKPOINTS = True
