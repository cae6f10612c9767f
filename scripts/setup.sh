#!/bin/sh
# Installs the pinned pnpm and the workspace's dependencies on a machine that has only Node.js 20 and npm.
set -e
cd "$(dirname "$0")/.."
want=12.4.2
if [ "$(pnpm -v 2>/dev/null)" != "$want" ]; then
  # corepack cannot be used here (the registry serves no signatures), so npm installs pnpm itself.
  npm i -g "pnpm@$want" >/dev/null 2>&1 || npm i -g "pnpm@$want"
fi
# better-sqlite3 compiles from source; pnpm's node-gyp reads the headers location only from the environment.
if [ -z "$npm_config_nodedir" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi
if [ -f pnpm-lock.yaml ]; then
  pnpm install --frozen-lockfile
else
  pnpm install
fi
