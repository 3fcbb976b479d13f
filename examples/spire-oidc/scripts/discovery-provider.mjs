#!/usr/bin/env node
// A stand-in for SPIRE's OIDC Discovery Provider and agent, for trying the example without SPIRE:
// serves discovery and JWKS on 127.0.0.1:<port> and keeps a JWT-SVID for the ledger workload fresh in
// a file (rewritten every minute, 5-minute lifetime), as spiffe-helper would. Keys live in memory.
//
//   node scripts/discovery-provider.mjs --port 8443 --svid-file ./svid.jwt
import { renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startOidcProvider } from '@hanzo/kms-testing';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8443' },
    'svid-file': { type: 'string', default: 'svid.jwt' },
    'spiffe-id': { type: 'string', default: 'spiffe://example.org/ns/payments/sa/ledger' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`discovery-provider: --port must be a port number, got "${values.port}"`);
  process.exit(64);
}

const provider = await startOidcProvider({ port }).catch((error) => {
  console.error(`discovery-provider: cannot listen on 127.0.0.1:${port}: ${error.code ?? error.message}`);
  process.exit(69);
});
// Written whole, then renamed into place (as SPIRE's helper does): a reader never sees half a token.
const writeSvid = async () => {
  const next = `${values['svid-file']}.tmp`;
  writeFileSync(
    next,
    await provider.svid({ spiffeId: values['spiffe-id'], audience: 'kms', ttlSeconds: 300 }),
    {
      mode: 0o600,
    },
  );
  renameSync(next, values['svid-file']);
};
await writeSvid();
const refresh = setInterval(() => void writeSvid(), 60_000);
console.log(`issuer: ${provider.issuer}`);
console.log(`svid file: ${values['svid-file']} (${values['spiffe-id']}, audience kms)`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    clearInterval(refresh);
    void provider.close().then(() => process.exit(0));
  });
}
