#!/usr/bin/env bash
# Runs the built CommonJS entry against Nest 11 (+ @nestjs/config 4) and the reference server.
# The workspace pins Nest 12 for the tests; this installs Nest 11 into a scratch directory (npm registry),
# copies dist/ there so `@nestjs/*` resolve to 11, and runs nest11-check.cjs. Needs `pnpm build` first.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
echo '{"name":"nest11-check","private":true}' > package.json
npm install --silent --no-audit --no-fund @nestjs/common@11 @nestjs/core@11 @nestjs/testing@11 @nestjs/config@4 rxjs@7.8.2 reflect-metadata@0.2.2
mkdir -p node_modules/@hanzo/kms-nestjs
cp -r "$here/package.json" "$here/dist" node_modules/@hanzo/kms-nestjs/
ln -s "$here/../sdk" node_modules/@hanzo/kms
ln -s "$here/../node" node_modules/@hanzo/kms-node
ln -s "$here/../testing" node_modules/@hanzo/kms-testing
cp "$here/scripts/nest11-check.cjs" check.cjs
node check.cjs | grep -v '\[Nest\]'
