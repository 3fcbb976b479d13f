/**
 * Bounded retries for key-backend calls: a transient failure (network, timeout, throttling, 5xx) is
 * tried again with backoff; a refusal (bad token, unknown key, bad ciphertext) fails at once.
 */
import { KeyBackendError } from '../key-manager.js';

/** A failure worth one more try. */
export class TransientBackendError extends Error {
  override name = 'TransientBackendError';
}

/** How long a backend keeps retrying one operation. */
export interface RetryBudget {
  /** Tries in all. @default 4 */
  attempts?: number;
  /** First wait; doubles each time. @default 200 */
  initialDelayMs?: number;
}

/** Runs `operation`, retrying {@link TransientBackendError}s; every final failure is a {@link KeyBackendError}. */
export async function withBackendRetries<T>(
  backend: string,
  what: string,
  operation: () => Promise<T>,
  budget: RetryBudget = {},
): Promise<T> {
  const attempts = budget.attempts ?? 4;
  let delay = budget.initialDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof KeyBackendError) throw error;
      const transient = error instanceof TransientBackendError;
      if (!transient || attempt >= attempts) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new KeyBackendError(
          backend,
          `${what} failed${transient ? ` after ${attempts} tries` : ''}: ${reason}`,
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}
