#!/usr/bin/env bash
# Sourced by scripts/kms and scripts/kms-server: runs a package's built CLI from this repository in the
# caller's folder, installing and building it first when its dist/ file is missing (a fresh clone).
# No bin links are involved: those only exist after an install that ran after a build.

KMS_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=toolchain.sh
source "$KMS_REPO_ROOT/scripts/toolchain.sh"

# kms_built_cli <package> <entry relative to the repository> [args…]
kms_built_cli() {
  local package="$1" entry="$KMS_REPO_ROOT/$2"
  shift 2
  if [ ! -f "$entry" ]; then
    echo "building $package first (its $entry is missing)" >&2
    (
      cd "$KMS_REPO_ROOT"
      [ -d node_modules ] || pnpm install --frozen-lockfile --reporter=append-only
      pnpm exec turbo run build --filter="$package" --output-logs=errors-only
    ) >&2
  fi
  exec node "$entry" "$@"
}
