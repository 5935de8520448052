#!/usr/bin/env bash
# Installs the npm packages of an interop folder (DIR/package.json + DIR/package-lock.json) into a cache
# outside the repository, keyed by the lock file's hash, and links DIR/node_modules to it (gitignored).
# Installs Node.js and npm from Debian's packages when they are missing.
#   bash scripts/node-deps.sh interop/oid4vci
# `npm ci` is not used: cbor-x's optional native helpers (@cbor-extract/*) are not on every registry
# mirror, and `npm ci` refuses a lock that names them; `npm install` with the same lock installs the same
# versions without them.
set -euo pipefail
dir=${1:?usage: node-deps.sh DIR}
[ -f "$dir/package.json" ] || { echo "node-deps: $dir/package.json not found" >&2; exit 2; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages: nodejs npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
lock="$dir/package-lock.json"
key=$(cat "$dir/package.json" "$([ -f "$lock" ] && echo "$lock" || echo /dev/null)" | sha256sum | cut -c1-16)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/mobileid-node/$(basename "$dir")-$key"
if [ ! -f "$cache/.installed" ]; then
  mkdir -p "$cache"
  cp "$dir/package.json" "$cache/"
  [ -f "$lock" ] && cp "$lock" "$cache/"
  (cd "$cache" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$cache/.installed"
fi
ln -sfn "$cache/node_modules" "$dir/node_modules"
