"""Loading models and tokenizers from the Hugging Face Hub."""

from transformers import AutoModel, AutoTokenizer

from . import settings


def load_model():
    # Not flagged: pinned to a commit through a constant in another module.
    return AutoModel.from_pretrained(settings.MODEL_ID, revision=settings.MODEL_REVISION)


def load_tokenizer():
    # Flagged: "main" is a branch, and remote code runs from it.
    return AutoTokenizer.from_pretrained(
        settings.MODEL_ID,
        revision=settings.TOKENIZER_REVISION,
        trust_remote_code=True,
    )


def load_local_model():
    # Not flagged: a local directory.
    return AutoModel.from_pretrained("./artifacts/model")
