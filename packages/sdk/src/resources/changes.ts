/**
 * `client.changes`: the change-notice stream of a project (docs/change-delivery.md).
 *
 * @module
 */
import {
  type ChangeStreamTransport,
  ChangeSubscription,
  type ChangeSubscriptionHandlers,
  type ChangeSubscriptionParams,
  type ChangeSubscriptionTiming,
} from '../change-subscription.js';
import { KmsValidationError } from '../errors.js';
import { requireProject } from './request-params.js';

/** Change notices: where secrets changed, pushed by the server as they happen. */
export class ChangeNotices {
  /** @internal */
  constructor(private readonly transport: () => ChangeStreamTransport) {}

  /**
   * Opens the stream and keeps it open (reconnecting with backoff and jitter, resuming after the last
   * notice) until `close()`. Uses the runtime's streaming `fetch`; where there is none, or the server
   * does not offer the stream, the subscription's state becomes `unsupported` and it stops.
   *
   * @example
   * ```ts
   * const sub = kms.changes.subscribe({ projectSlug: 'shop', environment: 'prod' }, {
   *   onNotice: (n) => console.log(`secrets changed in ${n.environment}${n.secretPath}`),
   * });
   * // later: sub.close();
   * ```
   */
  subscribe(
    params: ChangeSubscriptionParams,
    handlers: ChangeSubscriptionHandlers,
    timing?: ChangeSubscriptionTiming,
  ): ChangeSubscription {
    requireProject(params);
    for (const field of ['environment', 'secretPath'] as const) {
      const value = params[field];
      if (value !== undefined && (typeof value !== 'string' || value.trim() === ''))
        throw new KmsValidationError(field, 'must be a non-empty string when given');
    }
    if (params.secretPath !== undefined && !params.secretPath.startsWith('/'))
      throw new KmsValidationError('secretPath', 'must start with /');
    return new ChangeSubscription(this.transport(), params, handlers, timing);
  }
}
