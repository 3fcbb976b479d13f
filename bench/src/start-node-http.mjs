// One process with no SDK: login + list over node:http. The floor of "process start to 100 secrets"
// (fetch would first load undici). process.getBuiltinModule, because `import 'node:http'` builds an
// ES module namespace that evaluates node:http's lazy exports, undici's WebSocket among them.
const http = process.getBuiltinModule('node:http');

const { KMS_URL, KMS_CLIENT_ID, KMS_CLIENT_SECRET, KMS_PROJECT_ID } = process.env;
const agent = new http.Agent({ keepAlive: true });
function request(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${KMS_URL}${path}`, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const login = await request(
  'POST',
  '/api/v1/auth/universal-auth/login',
  { 'content-type': 'application/json' },
  JSON.stringify({ clientId: KMS_CLIENT_ID, clientSecret: KMS_CLIENT_SECRET }),
);
// The query the boot sends (kms-node's defaults), so the server does the same work for both.
const query = `workspaceId=${KMS_PROJECT_ID}&environment=dev&secretPath=/&expandSecretReferences=true&include_imports=true&recursive=false&viewSecretValue=true`;
const { secrets } = await request('GET', `/api/v3/secrets/raw?${query}`, {
  authorization: `Bearer ${login.accessToken}`,
});
for (const s of secrets) process.env[s.secretKey] = s.secretValue;
if (secrets.length !== 100) throw new Error(`expected 100 secrets, got ${secrets.length}`);
if (process.env.PRINT_FIRST_LINE) console.log(performance.now());
agent.destroy();
if (process.env.PRINT_MAX_RSS) console.log(process.resourceUsage().maxRSS);
