#!/usr/bin/env bash
# Installs the pinned OpenAI Codex CLI (npm package @openai/codex, whose platform binary
# comes as an optional dependency) into PREFIX, checks that it runs, and prints
# `CODEX_CLI=<path>` for tests/contract/test_codex_schema.py:
#
#   eval "$(tests/contract/install_codex_cli.sh /tmp/codex-npm | grep '^CODEX_CLI=')"
#   export CODEX_CLI
#
# A registry failure is retried once. Progress goes to stderr; stdout holds only the
# CODEX_CLI line.
set -euo pipefail

VERSION="${CODEX_CLI_VERSION:-0.169.0}"
prefix="${1:-}"
if [[ -z "$prefix" ]]; then
  echo "usage: $0 PREFIX   (installs @openai/codex@$VERSION under PREFIX/node_modules)" >&2
  exit 2
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install_codex_cli.sh: npm is not installed" >&2
  exit 1
fi
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
cli="$prefix/node_modules/.bin/codex"

runs() {
  [[ -x "$cli" ]] && "$cli" --version 2>/dev/null | grep -qw -- "$VERSION"
}

install() {
  # --include=optional: the platform binary is an optional dependency, which an
  # `omit=optional` npm config would otherwise skip.
  npm install --prefix "$prefix" --no-audit --no-fund --no-save --include=optional \
    "@openai/codex@$VERSION" >&2
}

if ! runs; then
  if ! install; then
    echo "install_codex_cli.sh: npm install failed; retrying once in 5 s" >&2
    sleep 5
    install
  fi
fi
if ! runs; then
  echo "install_codex_cli.sh: $cli does not run or is not version $VERSION:" >&2
  "$cli" --version >&2 || true
  exit 1
fi
echo "CODEX_CLI=$cli"
