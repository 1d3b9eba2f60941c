#!/usr/bin/env bash
# End-to-end test of the Emacs eglot snippet in editors/README.md (see emacs_eglot_test.el). The
# snippet is the first ```elisp block of editors/README.md, so the README shows what is tested.
#   bash tests/editors/emacs.sh      # brine: $BRINE, else the newest of target/{debug,release}/brine
# Needs Emacs with eglot (Debian: apt-get install emacs-nox elpa-eglot; installed here when missing
# and running as root). Exits non-zero on failure; bounded by a hard timeout.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=tests/editors/lib.sh
source "$ROOT/tests/editors/lib.sh"

BRINE_BIN="$(find_brine)"
if ! command -v emacs >/dev/null || ! emacs --batch --eval "(require 'eglot)" >/dev/null 2>&1; then
  ensure_debian_packages emacs-nox elpa-eglot
fi
echo "emacs: $(emacs --version | head -1)"
echo "brine: $("$BRINE_BIN" --version) at $BRINE_BIN"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/brine-emacs-e2e.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cp -R "$ROOT/tests/editors/workspace" "$WORK/ws"
mkdir -p "$WORK/bin" "$WORK/home"
ln -s "$BRINE_BIN" "$WORK/bin/brine"
awk '/^```elisp$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' \
  "$ROOT/editors/README.md" >"$WORK/snippet.el"
if [ ! -s "$WORK/snippet.el" ]; then
  echo "no \`\`\`elisp block in editors/README.md"
  exit 1
fi
echo "snippet from editors/README.md:"
sed 's/^/  /' "$WORK/snippet.el"

cd "$WORK/ws"
status=0
PATH="$WORK/bin:$PATH" HOME="$WORK/home" \
  timeout --kill-after=10 "${BRINE_EMACS_TIMEOUT:-180}" \
  emacs --batch -l "$ROOT/tests/editors/emacs_eglot_test.el" "$WORK/ws" "$WORK/snippet.el" \
  </dev/null 2>"$WORK/stderr" || status=$?
if [ "$status" -ne 0 ]; then
  [ "$status" -eq 124 ] && echo "FAIL: emacs end-to-end test hit the hard timeout"
  echo "emacs stderr (last 40 lines):"
  tail -40 "$WORK/stderr"
  echo "emacs: 0 passed, 1 failed"
  exit 1
fi
echo "emacs: 1 passed, 0 failed"
