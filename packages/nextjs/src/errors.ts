/**
 * The adapter's error: one line, prefixed with the package name, never containing a value.
 *
 * @module
 */
import { KmsError } from '@hanzo/kms';

/**
 * An error of `@hanzo/kms-nextjs`: bad options (`configKey` names the option), a failed load (`cause`
 * is the `KmsBootError` with its `reason`), a missing key (`key`) or a wrong runtime.
 */
export class KmsNextError extends KmsError {
  /** Always `KmsNextError`. */
  override name = 'KmsNextError';
  /** The secret involved, when one is (never its value). */
  readonly key: string | undefined;
  /** The option at fault, for an option error (e.g. `secretPath`). */
  readonly configKey: string | undefined;
  constructor(message: string, options: { cause?: unknown; key?: string; configKey?: string } = {}) {
    super(
      `[@hanzo/kms-nextjs] ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.key = options.key;
    this.configKey = options.configKey;
  }
}
