// KmsBootLogger: a KmsBootError becomes one line; anything else is printed as ConsoleLogger prints it.
import { KmsBootError } from '@hanzo/kms-node';
import { Logger } from '@nestjs/common';
import { afterEach, expect, it, vi } from 'vitest';
import { KmsBootLogger } from '../src/index.js';

afterEach(() => vi.restoreAllMocks());

function captureStderr(run: () => void): string {
  let text = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  run();
  vi.restoreAllMocks();
  return text;
}

it('prints a KmsBootError as its one line with the context, and other errors with their stack', () => {
  const logger = new KmsBootLogger({ colors: false });
  Logger.overrideLogger(logger);
  const boot = new KmsBootError(
    'bad-credentials',
    'KmsModule: login refused: the client id or client secret is wrong',
  );
  const one = captureStderr(() => new Logger('ExceptionHandler').error(boot));
  expect(one.trim().split('\n')).toHaveLength(1);
  expect(one).toMatch(
    /ERROR \[ExceptionHandler\] KmsModule: login refused: the client id or client secret is wrong\n$/,
  );
  const other = captureStderr(() => new Logger('ExceptionHandler').error(new TypeError('boom')));
  expect(other).toContain('boom');
  expect(other).toMatch(/\n\s+at /);
  Logger.overrideLogger(true);
});
