#!/usr/bin/env bash
# Release the six public packages: build, check each (publint; attw where the package's own test
# runs it), then publish with provenance through changesets (.changeset/README.md).
# --dry-run packs each package into RELEASE_OUT (default: a temp dir) instead of publishing and
# never contacts the registry; scripts/test/install-before-release.test.mjs runs it, then installs
# the tarballs through scripts/local-registry.mjs as README.md's "Installing before the first release" says.
set -euo pipefail
cd "$(dirname "$0")/.."
dry=0
[[ "${1:-}" == "--dry-run" ]] && dry=1
pkgs=(packages/sdk packages/node packages/nextjs packages/nestjs packages/testing reference-server)
filters=()
for p in "${pkgs[@]}"; do filters+=("--filter=$(node -p "require('./$p/package.json').name")"); done
pnpm exec turbo run build "${filters[@]}" --output-logs=errors-only
bin="$PWD/packages/sdk/node_modules/.bin"
for p in "${pkgs[@]}"; do
  echo "check $p"
  "$bin/publint" "$p"
  if node -e "process.exit(/attw/.test(require('./$p/package.json').scripts.test) ? 0 : 1)"; then
    (cd "$p" && "$bin/attw" --pack . --profile node16 --quiet)
  fi
done
if [[ $dry == 1 ]]; then
  out="${RELEASE_OUT:-$(mktemp -d)}"
  mkdir -p "$out"
  # pnpm pack rewrites workspace:* ranges to the exact versions, as publish does.
  for p in "${pkgs[@]}"; do (cd "$p" && pnpm pack --pack-destination "$out" >/dev/null); done
  echo "dry run: would publish"
  ls "$out"/*.tgz
  exit 0
fi
NPM_CONFIG_PROVENANCE=true pnpm exec changeset publish
