// Side-by-side figures for @hanzo/kms and @infisical/sdk 5.0.2 against one local reference server.
// Prints figures and ratios; it is not a test and asserts nothing.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KmsClient } from '@hanzo/kms';
import { startServer } from '@hanzo/kms-server';
import { provision } from './provision.mjs';

const run = promisify(execFile);
const benchDir = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (n) => `${n.toFixed(1)} ms`;
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/**
 * Wall times of fresh `node` processes, one sample of each command per round (round-robin), so that load on
 * the machine affects all of them alike. A command is `args`, or `{ args, env }` with extra variables.
 */
async function timeNodes(commands, env = {}) {
  const samples = commands.map(() => []);
  // With PRINT_FIRST_LINE a process prints performance.now() at its first line with the secrets in
  // hand: the time from its own start, without what happens after (exit, a token revoked on the way).
  samples.firstLine = commands.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [index, command] of commands.entries()) {
      const { args, env: extra = {} } = Array.isArray(command) ? { args: command } : command;
      const started = performance.now();
      const { stdout } = await run(process.execPath, args, {
        cwd: benchDir,
        env: { ...process.env, ...env, ...extra },
      });
      samples[index].push(performance.now() - started);
      if (extra.PRINT_FIRST_LINE) samples.firstLine[index].push(Number(stdout.trim().split('\n').at(-1)));
    }
  }
  return samples;
}

/** Median peak RSS (KiB) of a `node` command that prints `process.resourceUsage().maxRSS`. */
async function peakRss(args, env) {
  const samples = [];
  for (let i = 0; i < Math.min(RUNS, 7); i++) {
    const { stdout } = await run(process.execPath, args, {
      cwd: benchDir,
      env: { ...process.env, ...env, PRINT_MAX_RSS: '1' },
    });
    samples.push(Number(stdout.trim().split('\n').at(-1)));
  }
  return median(samples);
}

/** Median of the per-round differences `a[i] - b[i]`: paired, so a slow round slows both sides alike. */
const pairedMedian = (a, b) => median(a.map((x, i) => x - b[i]));

/**
 * Size of a package's published files plus its runtime dependency closure (deduplicated): apparent bytes,
 * and disk usage in 4 KiB blocks (what `du` reports for an install).
 */
function installedSize(packageName) {
  const seen = new Set();
  let total = 0;
  let disk = 0;
  const sizeOf = (path) => {
    const stat = statSync(path);
    if (!stat.isDirectory()) {
      disk += Math.ceil(stat.size / 4096) * 4096;
      return stat.size;
    }
    let sum = 0;
    for (const entry of readdirSync(path)) if (entry !== 'node_modules') sum += sizeOf(join(path, entry));
    return sum;
  };
  const visit = (dir) => {
    const real = realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    const manifest = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8'));
    const files = manifest.files ? [...manifest.files, 'package.json', 'README.md'] : readdirSync(real);
    for (const entry of new Set(files)) {
      try {
        if (entry !== 'node_modules') total += sizeOf(join(real, entry));
      } catch {
        // a `files` entry that does not exist
      }
    }
    // Runtime dependencies sit beside the package in pnpm's virtual store, or in its own node_modules.
    const storeRoot = real.slice(0, real.lastIndexOf('node_modules/') + 'node_modules/'.length);
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      for (const candidate of [join(real, 'node_modules', dep), storeRoot && join(storeRoot, dep)]) {
        try {
          if (candidate && statSync(candidate)) {
            visit(candidate);
            break;
          }
        } catch {
          // not there: try the next layout
        }
      }
    }
  };
  visit(join(benchDir, 'node_modules', packageName));
  return { bytes: total, disk, packages: seen.size };
}

async function throughput(fn, durationMs = 2000) {
  let ops = 0;
  const until = performance.now() + durationMs;
  while (performance.now() < until) {
    await fn();
    ops++;
  }
  return (ops * 1000) / durationMs;
}

/** Operations per second of each function, measured in alternating batches of 20 for about 4 s in total. */
async function interleavedThroughput(fns, totalMs = 4000) {
  const spent = fns.map(() => 0);
  const done = fns.map(() => 0);
  const until = performance.now() + totalMs;
  while (performance.now() < until) {
    for (const [index, fn] of fns.entries()) {
      const started = performance.now();
      for (let i = 0; i < 20; i++) await fn();
      spent[index] += performance.now() - started;
      done[index] += 20;
    }
  }
  return fns.map((_, index) => (done[index] * 1000) / spent[index]);
}

const server = await startServer({ port: 0, rateLimit: false, logger: false });
try {
  const secrets = Object.fromEntries(
    Array.from({ length: 100 }, (_, i) => [`KEY_${String(i).padStart(3, '0')}`, `value-${i}`]),
  );
  const env = await provision(server.url, secrets);
  const childEnv = {
    KMS_URL: env.url,
    KMS_CLIENT_ID: env.clientId,
    KMS_CLIENT_SECRET: env.clientSecret,
    KMS_PROJECT_ID: env.projectId,
  };
  // The documented boot path reads KMS_* (packages/node): same server, project and identity.
  const bootEnv = {
    KMS_SITE_URL: env.url,
    KMS_PROJECT_ID: env.projectId,
    KMS_ENVIRONMENT: 'dev',
    KMS_CREDENTIALS_DIR: join(benchDir, 'no-credential-files'),
  };
  const register = ['--import', '@hanzo/kms-node/register', join(benchDir, 'src/booted.mjs')];

  // 1. Import cost over a bare `node -e 0`.
  const [bareRuns, kmsImportRuns, infImportRuns] = await timeNodes([
    ['-e', '0'],
    ['--input-type=module', '-e', "await import('@hanzo/kms')"],
    ['--input-type=module', '-e', "await import('@infisical/sdk')"],
  ]);
  const bare = median(bareRuns);
  const importKms = pairedMedian(kmsImportRuns, bareRuns);
  const importInf = pairedMedian(infImportRuns, bareRuns);

  // 2. Process start to 100 secrets in hand (in process.env for the boot and the peer): the documented
  // boot path, the SDK alone, the peer, and the floors with no SDK (bare fetch, node:http).
  const startRuns = await timeNodes(
    [
      {
        args: register,
        env: {
          ...bootEnv,
          KMS_CLIENT_ID: env.clientId,
          KMS_CLIENT_SECRET: env.clientSecret,
          PRINT_FIRST_LINE: '1',
        },
      },
      [join(benchDir, 'src/start-kms.mjs')],
      [join(benchDir, 'src/start-infisical.mjs')],
      [join(benchDir, 'src/start-raw.mjs')],
      { args: [join(benchDir, 'src/start-node-http.mjs')], env: { PRINT_FIRST_LINE: '1' } },
    ],
    childEnv,
  );
  const [bootRuns, kmsStartRuns, infStartRuns, rawStartRuns, httpStartRuns] = startRuns;
  const bootFirstLineOverFloor = pairedMedian(startRuns.firstLine[0], startRuns.firstLine[4]);
  const boot = median(bootRuns);
  const startKms = median(kmsStartRuns);
  const startInf = median(infStartRuns);
  const startRaw = median(rawStartRuns);
  const startHttp = median(httpStartRuns);
  const sdkShareKms = pairedMedian(kmsStartRuns, rawStartRuns);
  const sdkShareInf = pairedMedian(infStartRuns, rawStartRuns);
  const bootOverFloor = pairedMedian(bootRuns, httpStartRuns);
  const rssBare = await peakRss(['-e', 'console.log(process.resourceUsage().maxRSS)'], {});
  const rssBoot = await peakRss(register, {
    ...bootEnv,
    KMS_CLIENT_ID: env.clientId,
    KMS_CLIENT_SECRET: env.clientSecret,
  });
  const rssFloor = await peakRss([join(benchDir, 'src/start-node-http.mjs')], childEnv);

  // 3. Installed size.
  const sizeKms = installedSize('@hanzo/kms');
  const sizeInf = installedSize('@infisical/sdk');

  // 4. list throughput (cached for @hanzo/kms; @infisical/sdk has no cache).
  const loc = { projectId: env.projectId, environment: 'dev', secretPath: '/' };
  const credentials = { clientId: env.clientId, clientSecret: env.clientSecret };
  const cached = new KmsClient({
    siteUrl: env.url,
    auth: { universalAuth: credentials },
    cache: { ttl: 60_000 },
  });
  const uncached = new KmsClient({ siteUrl: env.url, auth: { universalAuth: credentials } });
  // The same client over node:http, the transport @hanzo/kms-node gives the SDK on Node.
  const { nodeHttpFetch } = await import('@hanzo/kms-node');
  const overHttp = new KmsClient({
    siteUrl: env.url,
    auth: { universalAuth: credentials },
    fetch: nodeHttpFetch,
  });
  // The transports alone, no SDK: the same list request with a token, over the global fetch (undici)
  // and over node:http with a keep-alive agent. Their ratio is what the transport costs per request.
  const accessToken = await uncached.auth.getAccessToken();
  // The query the SDK sends for `loc`, so the server does the same work for every side.
  const listUrl = `${env.url}/api/v3/secrets/raw?workspaceId=${env.projectId}&environment=dev&secretPath=/&expandSecretReferences=true&include_imports=false&recursive=false&viewSecretValue=true`;
  const checked = (data) => {
    if (data?.secrets?.length !== 100)
      throw new Error(`bare list: expected 100 secrets, got ${JSON.stringify(data).slice(0, 80)}`);
    return data;
  };
  const rawFetchList = async () =>
    checked(
      JSON.parse(
        await (await fetch(listUrl, { headers: { authorization: `Bearer ${accessToken}` } })).text(),
      ),
    );
  const http = process.getBuiltinModule('node:http');
  const agent = new http.Agent({ keepAlive: true });
  const rawHttpList = () =>
    new Promise((resolve, reject) => {
      http
        .get(listUrl, { agent, headers: { authorization: `Bearer ${accessToken}` } }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve(checked(JSON.parse(Buffer.concat(chunks).toString()))));
        })
        .on('error', reject);
    });
  const { InfisicalSDK } = await import('@infisical/sdk');
  const inf = new InfisicalSDK({ siteUrl: env.url });
  await inf.auth().universalAuth.login(credentials);
  // Warm the server with both clients, then interleave small batches so load on the machine hits both alike.
  await throughput(() => uncached.secrets.list(loc), 500);
  await throughput(() => inf.secrets().listSecrets(loc), 500);
  await throughput(() => overHttp.secrets.list(loc), 500);
  await throughput(rawFetchList, 300);
  await throughput(rawHttpList, 300);
  const [uncachedOps, infOps, overHttpOps, rawFetchOps, rawHttpOps] = await interleavedThroughput(
    [
      () => uncached.secrets.list(loc),
      () => inf.secrets().listSecrets(loc),
      () => overHttp.secrets.list(loc),
      rawFetchList,
      rawHttpList,
    ],
    6000,
  );
  agent.destroy();
  await cached.secrets.list(loc);
  const cachedOps = await throughput(() => cached.secrets.list(loc));
  await cached.close();
  await uncached.close();
  await overHttp.close();

  const rows = [
    ['Import cost over `node -e 0`', ms(importKms), ms(importInf), importKms / importInf, '≤ 0.25'],
    [
      'Boot: `node --import @hanzo/kms-node/register` → 100 secrets in process.env (wall)',
      ms(boot),
      ms(startInf),
      boot / startInf,
      '≤ 0.50',
    ],
    [
      '… process start → first line with the secrets, boot minus the node:http floor (same login + list, no SDK)',
      ms(bootFirstLineOverFloor),
      '–',
      bootFirstLineOverFloor / 20,
      '≤ 20 ms',
    ],
    [
      '… wall time to exit, boot minus the floor (the boot also revokes its token before exiting)',
      ms(bootOverFloor),
      '–',
      '–',
      '–',
    ],
    [
      'Peak RSS of the booted process over bare node',
      `+${((rssBoot - rssBare) / 1024).toFixed(1)} MB`,
      '–',
      (rssBoot - rssBare) / 1024 / 8,
      '≤ +8 MB',
    ],
    [
      '… of which the node:http floor (same login + list, no SDK) over bare node',
      `+${((rssFloor - rssBare) / 1024).toFixed(1)} MB`,
      '–',
      '–',
      '–',
    ],
    ['Process start → 100 secrets, SDK alone (wall)', ms(startKms), ms(startInf), startKms / startInf, '–'],
    [
      '… minus the same login + list with bare fetch',
      ms(sdkShareKms),
      ms(sdkShareInf),
      sdkShareKms / sdkShareInf,
      '(SDK share only)',
    ],
    [
      'Installed size on disk (package + runtime deps)',
      `${mb(sizeKms.disk)} (${sizeKms.packages} pkg)`,
      `${mb(sizeInf.disk)} (${sizeInf.packages} pkg)`,
      sizeKms.disk / sizeInf.disk,
      '≤ 0.05',
    ],
    [
      'Installed size, apparent bytes',
      mb(sizeKms.bytes),
      mb(sizeInf.bytes),
      sizeKms.bytes / sizeInf.bytes,
      '–',
    ],
    [
      'list ops/s (kms cached vs infisical)',
      cachedOps.toFixed(0),
      infOps.toFixed(0),
      cachedOps / infOps,
      '≥ 100,000 ops/s',
    ],
    [
      'list ops/s (kms uncached vs infisical)',
      uncachedOps.toFixed(0),
      infOps.toFixed(0),
      uncachedOps / infOps,
      '≥ 1.0',
    ],
    [
      '… uncached over node:http (kms-node transport, `fetch: nodeHttpFetch`)',
      overHttpOps.toFixed(0),
      infOps.toFixed(0),
      overHttpOps / infOps,
      '≥ 1.0',
    ],
    [
      '… the transports alone (no SDK): bare fetch vs bare node:http, same request',
      rawFetchOps.toFixed(0),
      rawHttpOps.toFixed(0),
      rawFetchOps / rawHttpOps,
      '–',
    ],
    [
      '… the SDK over fetch vs bare fetch (what the SDK itself costs)',
      uncachedOps.toFixed(0),
      rawFetchOps.toFixed(0),
      uncachedOps / rawFetchOps,
      '–',
    ],
  ];
  console.log(`\n@hanzo/kms vs @infisical/sdk 5.0.2 — Node ${process.version}, median of ${RUNS} runs\n`);
  console.log('| Measure | @hanzo/kms | @infisical/sdk | ratio | goal |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, a, b, ratio, goal] of rows)
    console.log(
      `| ${name} | ${a} | ${b} | ${typeof ratio === 'number' ? ratio.toFixed(3) : ratio} | ${goal} |`,
    );
  console.log(
    `\n(bare \`node -e 0\`: ${ms(bare)}; login + list with bare fetch in a fresh process: ${ms(startRaw)}; ` +
      `with node:http: ${ms(startHttp)}; peak RSS of bare node ${(rssBare / 1024).toFixed(1)} MB; ` +
      'sizes count the published files of each package and its runtime dependency closure.)',
  );
} finally {
  await server.close();
}
