// Sequential driver for profiling the list route: node --cpu-prof bench/profile-list.mjs
// Provisions like list-secrets.mjs, then issues PROFILE_REQUESTS sequential GETs over keep-alive.
import http from 'node:http';
import { serverWith100Secrets } from './provision-list.mjs';

const N = Number(process.env.PROFILE_REQUESTS ?? 3000);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

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

const { kms, admin, listPath } = await serverWith100Secrets();
const url = `${kms.url}${listPath}`;
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
