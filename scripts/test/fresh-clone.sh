#!/usr/bin/env bash
# The first ten minutes, as CI runs them: scripts/test/fresh-clone.test.mjs clones the committed HEAD and
# runs `scripts/run dev`, every command it prints, and the README's first run. Where the kernel allows,
# it runs in a network namespace of its own (loopback only): nothing can reach a registry, and the
# README's port 8080 is free whatever else runs on this machine. Elsewhere the registry is pointed at a
# closed loopback port.
set -euo pipefail
cd "$(dirname "$0")/../.."
if unshare -rn true 2>/dev/null && command -v ip >/dev/null; then
  exec unshare -rn bash -c 'ip link set lo up && KMS_FRESH_CLONE_NETNS=1 exec node --test scripts/test/fresh-clone.test.mjs'
fi
echo "fresh-clone: no network namespace here; the registry is made unreachable by configuration only" >&2
exec node --test scripts/test/fresh-clone.test.mjs
