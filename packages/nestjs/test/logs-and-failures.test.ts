import 'reflect-metadata';
import { inspect } from 'node:util';
import { startKmsTestServer } from '@hanzo/kms-testing';
import { Logger, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { KmsModule, KmsService } from '../src/index.js';

const lines: string[] = [];
const capture: LoggerService = {
  log: (...args: unknown[]) => lines.push(args.map((a) => inspect(a)).join(' ')),
  warn: (...args: unknown[]) => lines.push(args.map((a) => inspect(a)).join(' ')),
  error: (...args: unknown[]) => lines.push(args.map((a) => inspect(a)).join(' ')),
  debug: (...args: unknown[]) => lines.push(args.map((a) => inspect(a)).join(' ')),
  verbose: (...args: unknown[]) => lines.push(args.map((a) => inspect(a)).join(' ')),
};

afterEach(() => {
  Logger.overrideLogger(false);
  lines.length = 0;
});

describe('logs and failed refreshes', () => {
  it('logs key names and counts, never values or credentials; a failing poll keeps the values', async () => {
    const kms = await startKmsTestServer({
      secrets: {
        dev: { '/': { DATABASE_URL: 'postgres://u:very-secret-pw@db/app', TOKEN: 'tok-abcdef-123' } },
      },
    });
    process.env.TOKEN = 'already-here-value';
    Logger.overrideLogger(capture);
    try {
      const ref = await Test.createTestingModule({
        imports: [
          KmsModule.forRoot({
            siteUrl: kms.url,
            clientId: kms.clientId,
            clientSecret: kms.clientSecret,
            projectSlug: kms.projectSlug,
            environment: 'dev',
            populateEnv: true,
            refreshInterval: 50,
            bootTimeout: 1000,
            env: {},
          }),
        ],
      })
        .setLogger(capture)
        .compile();
      await ref.init();
      const service = ref.get(KmsService);
      expect(process.env.TOKEN).toBe('already-here-value');
      expect(lines.join('\n')).toMatch(
        /kept 1 existing environment variable\(s\) instead of the KMS value: TOKEN/,
      );
      expect(lines.join('\n')).toMatch(/loaded 2 secrets from project .+, environment dev, path \//);

      // The server goes away: polls fail, the service keeps serving what it had and reports down.
      await kms.close();
      await expect.poll(() => service.status().status, { timeout: 10_000 }).toBe('down');
      expect(service.get('TOKEN')).toBe('tok-abcdef-123');
      expect(service.status().lastError).toMatch(
        /^KmsModule: KMS server at .+ (is unreachable|did not answer)/,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const warnings = lines.filter((l) => l.includes('refresh failed'));
      expect(warnings).toHaveLength(1);

      await ref.close();
      const all = lines.join('\n');
      for (const secret of ['very-secret-pw', 'tok-abcdef-123', kms.clientSecret, 'already-here-value']) {
        expect(all).not.toContain(secret);
      }
    } finally {
      delete process.env.TOKEN;
      delete process.env.DATABASE_URL;
      await kms.close().catch(() => undefined);
    }
  });
});
