// Sequential driver for profiling the list route: node --cpu-prof bench/profile-list.mjs
// Provisions like list-secrets.mjs, then issues PROFILE_REQUESTS sequential GETs over keep-alive.
import http from 'node:http';
import { startServer } from '../dist/index.js';

const N = Number(process.env.PROFILE_REQUESTS ?? 3000);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function call(url, token, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body && JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

function get(url, headers) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        let n = 0;
        res.on('data', (c) => {
          n += c.length;
        });
        res.on('end', () =>
          res.statusCode === 200 ? resolve(n) : reject(new Error(`status ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

const kms = await startServer({ rateLimit: false });
const boot = await call(kms.url, null, 'POST', '/api/v1/admin/bootstrap', {
  email: 'b@bench.test',
  password: 'p',
  organization: 'bench',
});
const admin = boot.identity.credentials.token;
const { project } = await call(kms.url, admin, 'POST', '/api/v2/workspace', {
  projectName: 'bench',
  slug: 'bench',
});
await call(kms.url, admin, 'POST', '/api/v3/secrets/batch/raw', {
  workspaceId: project.id,
  environment: 'dev',
  secretPath: '/',
  secrets: Array.from({ length: 100 }, (_, i) => ({
    secretKey: `SECRET_${String(i).padStart(3, '0')}`,
    secretValue: `value-${i}-${'x'.repeat(40)}`,
  })),
});
const url = `${kms.url}/api/v3/secrets/raw?workspaceId=${project.id}&environment=dev&secretPath=/`;
const headers = { authorization: `Bearer ${admin}` };
for (let i = 0; i < 200; i++) await get(url, headers);
const cpu0 = process.cpuUsage();
const start = performance.now();
for (let i = 0; i < N; i++) await get(url, headers);
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
console.log(
  `${N} sequential requests: ${(ms / N).toFixed(3)} ms/request, ${Math.round((N * 1000) / ms)} req/s, ` +
    `CPU ${((cpu.user + cpu.system) / 1000 / N).toFixed(3)} ms/request (server + client)`,
);
agent.destroy();
await kms.close();
