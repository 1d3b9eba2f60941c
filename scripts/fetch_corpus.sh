#!/usr/bin/env bash
# Fetch the benchmark corpus (the transformers wheel, unpacked) and make sure
# ruff is available for comparison runs.
#
# Idempotent: re-running skips the download/unpack if the corpus is already
# in place, and skips installing ruff if it is already on PATH.
#
# Usage: bash scripts/fetch_corpus.sh
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

PKG=transformers
VERSION=5.24.0
DATA_DIR=bench-data
WHEEL_DIR="$DATA_DIR/wheels"
CORPUS_DIR="$DATA_DIR/$PKG-$VERSION"

PYTHON="${PYTHON:-python3}"

mkdir -p "$WHEEL_DIR"

if [ -d "$CORPUS_DIR/$PKG" ]; then
    echo "corpus already present: $CORPUS_DIR"
else
    wheel="$(ls "$WHEEL_DIR"/$PKG-$VERSION-*.whl 2>/dev/null | head -n1 || true)"
    if [ -z "$wheel" ]; then
        echo "downloading $PKG==$VERSION ..."
        "$PYTHON" -m pip download --no-deps "$PKG==$VERSION" -d "$WHEEL_DIR"
        wheel="$(ls "$WHEEL_DIR"/$PKG-$VERSION-*.whl | head -n1)"
    else
        echo "wheel already downloaded: $wheel"
    fi
    echo "unpacking $wheel -> $CORPUS_DIR"
    tmp="$CORPUS_DIR.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # A wheel is a zip file; python's zipfile avoids depending on `unzip`.
    "$PYTHON" -m zipfile -e "$wheel" "$tmp"
    rm -rf "$CORPUS_DIR"
    mv "$tmp" "$CORPUS_DIR"
fi

py_count="$(find "$CORPUS_DIR" -type f -name '*.py' | wc -l)"
py_bytes="$(find "$CORPUS_DIR" -type f -name '*.py' -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
total_size="$(du -sh "$CORPUS_DIR" | cut -f1)"
echo "corpus: $CORPUS_DIR: $py_count .py files, $py_bytes bytes of .py source, $total_size on disk"

if ! command -v ruff >/dev/null 2>&1; then
    echo "ruff not on PATH; installing with pip ..."
    "$PYTHON" -m pip install ruff
    hash -r
fi
if command -v ruff >/dev/null 2>&1; then
    echo "ruff: $(ruff --version)"
else
    echo "warning: ruff installed but not on PATH (check pip's scripts directory)" >&2
    "$PYTHON" -m ruff --version || true
fi
