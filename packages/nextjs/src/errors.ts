/**
 * The adapter's error: one line, prefixed with the package name, never containing a value.
 *
 * @module
 */
import { KmsError } from '@hanzo/kms';

/** An error of `@hanzo/kms-nextjs`: bad options, a failed load, a missing key or a wrong runtime. */
export class KmsNextError extends KmsError {
  /** Always `KmsNextError`. */
  override name = 'KmsNextError';
  /** The key involved, when one is (never its value). */
  readonly key: string | undefined;
  constructor(message: string, options: { cause?: unknown; key?: string } = {}) {
    super(
      `[@hanzo/kms-nextjs] ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.key = options.key;
  }
}
