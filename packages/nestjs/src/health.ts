/**
 * `KmsHealthIndicator`: session and secret freshness for `@nestjs/terminus` (or any health endpoint).
 *
 * @module
 */
import { Inject, Injectable } from '@nestjs/common';
import { KmsService, type KmsStatus } from './kms.service.js';

/**
 * A terminus-shaped result: `{ [key]: { status: 'up' | 'down', ...details } }`. Details are the
 * {@link KmsStatus} fields (counts, times, the last error's one line), never a value or a token.
 */
export type KmsHealthResult<K extends string = string> = Record<K, KmsStatus & { stale?: boolean }>;

/**
 * Reports whether the KMS session is alive and the secrets fresh. Add it to a module's `providers` and
 * call it from a terminus health check (terminus 11+ reads `status: 'down'` as unhealthy):
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.kms.isHealthy('kms', { maxAgeMs: 120_000 })]); }
 * ```
 *
 * No dependency on `@nestjs/terminus`: the result is a plain object.
 */
@Injectable()
export class KmsHealthIndicator {
  constructor(@Inject(KmsService) private readonly kms: KmsService) {}

  /**
   * `down` when the last refresh failed, the service is shut down, or (with `maxAgeMs`) the secrets
   * were last read longer ago than that.
   */
  isHealthy<K extends string = 'kms'>(
    key: K = 'kms' as K,
    options: { maxAgeMs?: number } = {},
  ): KmsHealthResult<K> {
    const status = this.kms.status();
    const stale = options.maxAgeMs !== undefined && status.ageMs > options.maxAgeMs;
    const details = stale ? { ...status, status: 'down' as const, stale } : status;
    return { [key]: details } as KmsHealthResult<K>;
  }
}
