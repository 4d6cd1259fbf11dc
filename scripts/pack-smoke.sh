#!/usr/bin/env bash
# Packaging smoke test, run by CI (not by `npm test`): builds, packs the tarball, installs it into a
# fresh Express 5 app and a fresh Express 4 app in temporary folders (from the npm registry), and
# in each runs an ESM consumer and a CommonJS consumer (require(esm), Node >= 20.19) end to end
# over loopback HTTP, type-checks an ESM and a CommonJS TypeScript consumer (module: nodenext),
# and runs the installed `jwt-gate` binary. Exits non-zero on any failure.
#
#   SKIP_BUILD=1  reuse an existing dist/        KEEP_TMP=1  keep the temporary folder
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/jwt-gate-pack.XXXXXX")
cleanup() {
  if [ "${KEEP_TMP:-}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'echo "pack-smoke: FAILED (line $LINENO)" >&2' ERR
step() { printf '\n--- %s\n' "$*"; }
fail() {
  echo "pack-smoke: $*" >&2
  exit 1
}
NPM_INSTALL=(npm install --no-audit --no-fund --ignore-scripts --loglevel=error)

node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  fail "Node >= 20.19 is required (require(esm)); this is $(node --version)"

if [ "${SKIP_BUILD:-}" != 1 ]; then
  step "build"
  (cd "$ROOT" && npm run build --silent)
fi

step "pack"
TARBALL_NAME=$(cd "$ROOT" && npm pack --silent --pack-destination "$WORK" | tail -n 1)
TARBALL="$WORK/$TARBALL_NAME"
[ -f "$TARBALL" ] || fail "npm pack produced no tarball"
tar -tzf "$TARBALL" | sort >"$WORK/contents.txt"
echo "$TARBALL_NAME: $(wc -l <"$WORK/contents.txt") files"
# The README's links resolve inside node_modules: the docs, the licence and the policies ship too
# (test/unit/doc-links.test.ts checks every link against package.json "files").
for required in package/package.json package/dist/index.js package/dist/index.d.ts \
  package/dist/cli/main.js package/README.md package/LICENSE package/CHANGELOG.md \
  package/SECURITY.md package/docs/options.md package/docs/migration.md; do
  grep -qx "$required" "$WORK/contents.txt" || fail "tarball lacks $required"
done
if grep -E '\.map$|\.test\.|^package/(src|test|example-app|bench|scripts)/' "$WORK/contents.txt"; then
  fail "tarball contains files that should not ship (listed above)"
fi

# Writes the ESM consumer, the CommonJS consumer and the TypeScript consumers into an app folder.
write_consumers() {
  local dir=$1 label=$2
  cp "$ROOT/test/package/consumer-run.cjs" "$dir/consumer-run.cjs"
  cat >"$dir/esm.mjs" <<JS
import * as gate from 'jwt-gate'
import * as memory from 'jwt-gate/stores/memory'
import express from 'express'
import cookieParser from 'cookie-parser'
import * as jose from 'jose'
import run from './consumer-run.cjs'
run({ gate, memory, express, cookieParser, jose, label: '$label ESM consumer' })
JS
  cat >"$dir/cjs.cjs" <<JS
const gate = require('jwt-gate')
const memory = require('jwt-gate/stores/memory')
const express = require('express')
const cookieParser = require('cookie-parser')
const jose = require('jose')
if (typeof gate.authenticate !== 'function') throw new Error("require('jwt-gate') has no authenticate")
require('./consumer-run.cjs')({ gate, memory, express, cookieParser, jose, label: '$label CommonJS consumer' })
JS
  cat >"$dir/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "target": "es2022",
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "noEmit": true,
    "types": ["node"]
  },
  "files": ["types-esm.mts", "types-cjs.cts"]
}
JSON
  cat >"$dir/types-esm.mts" <<'TS'
import express from 'express'
import cookieParser from 'cookie-parser'
import { authenticate, requireScopes, isAuthError, type AuthContext } from 'jwt-gate'
import { createMemoryUserStore } from 'jwt-gate/stores/memory'

const app = express()
app.use(cookieParser())
app.use(authenticate({ issuers: [{ issuer: 'https://issuer.test', key: { jwksUrl: 'https://issuer.test/jwks' } }] }))
app.get('/', requireScopes('read'), (req, res) => {
  const auth: AuthContext | undefined = req.auth
  res.json({ sub: auth?.subject ?? null, roles: req.auth?.roles ?? [] })
})
export const handled: boolean = isAuthError(new Error('x'))
export const store = createMemoryUserStore([{ username: 'alice', roles: ['user'] }])
TS
  cat >"$dir/types-cjs.cts" <<'TS'
// A CommonJS module importing the ESM-only package: TypeScript >= 5.8 compiles this to require(),
// which Node >= 20.19 supports (require(esm)).
import { authenticate, createAuthenticator } from 'jwt-gate'

export const middleware = authenticate({
  issuers: [{ issuer: null, key: { ed25519: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' } }],
})
export const core: typeof createAuthenticator = createAuthenticator
TS
}

for major in 5 4; do
  app="$WORK/express$major"
  step "Express $major app"
  mkdir -p "$app"
  # A subshell without `||` after it, so that `set -e` stays in force for every command inside.
  (
    cd "$app"
    npm init -y >/dev/null
    "${NPM_INSTALL[@]}" "$TARBALL" "express@$major" cookie-parser jose \
      typescript@~5.9 "@types/express@$major" @types/cookie-parser "@types/node@20"
    echo "installed jwt-gate $(node -p 'require("jwt-gate/package.json").version') with express $(node -p 'require("express/package.json").version')"
    write_consumers "$app" "express$major"
    node esm.mjs
    node cjs.cjs
    npx --no-install tsc -p tsconfig.json
    echo "express$major TypeScript consumers (ESM and CommonJS, nodenext): ok"
    npx --no-install jwt-gate --help >"$WORK/help.txt"
    grep -q '^Usage: jwt-gate <command>' "$WORK/help.txt" || fail "npx jwt-gate --help printed no usage"
    npx --no-install jwt-gate keygen --json >"$WORK/keygen.json"
    node -e 'const k = require(process.argv[1]); if (!k.kid || !k.clusterCockpit) process.exit(1)' "$WORK/keygen.json" ||
      fail "npx jwt-gate keygen --json printed no key"
    echo "express$major npx jwt-gate: ok"
  )
done

step "all packaging smoke checks passed"
