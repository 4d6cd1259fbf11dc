#!/usr/bin/env bash
# Package lint, run by CI after `npm run build`: publint --strict and @arethetypeswrong/cli on the
# packed tarball.
#
# attw profile: jwt-gate is ESM-only and supports CommonJS through Node's require(esm) (Node >=
# 20.19, the package's `engines`). attw still models CommonJS resolution as Node 16 did, where a
# require() of ESM fails, and reports that as CJSResolvesToESM. We keep the node16-from-CJS
# resolution (so types must still resolve for CommonJS TypeScript consumers) and ignore only that
# one rule; node10 resolution is ignored because it cannot see `exports` subpaths
# (`jwt-gate/stores/<name>`), which every supported setup (node16, nodenext, bundler) resolves.
# The store subpaths are listed one by one in `exports`, so attw checks each of them.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f dist/index.js ] || { echo "lint-package: run npm run build first" >&2; exit 1; }

echo "--- publint --strict"
npx --no-install publint --strict

echo "--- attw --pack (profile node16, ignoring cjs-resolves-to-esm)"
npx --no-install attw --pack . --profile node16 --ignore-rules cjs-resolves-to-esm
