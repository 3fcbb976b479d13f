/** The bodies a webhook receives (upstream's `general` type): where something changed, never values. */
import type { ProjectRecord } from '../../store/records.js';

/** The events a webhook may be limited to (upstream's subscribable events). */
export const SUBSCRIBABLE_WEBHOOK_EVENTS = ['secrets.modified', 'secrets.rotation-failed'] as const;
/** An event a webhook may be limited to. */
export type SubscribableWebhookEvent = (typeof SUBSCRIBABLE_WEBHOOK_EVENTS)[number];
/** Every event a delivery may carry (`test` comes from the test route only). */
export type WebhookEventName = SubscribableWebhookEvent | 'test';

/** Where an event happened. */
export interface WebhookEventPlace {
  project: Pick<ProjectRecord, 'id' | 'name'>;
  environment: string;
  environmentName: string;
  secretPath: string;
}

/** Upstream's payload: `{ event, project: { workspaceId, projectId, projectName, environment, … }, timestamp }`. */
export function webhookPayload(event: WebhookEventName, place: WebhookEventPlace, timestamp: number) {
  return {
    event,
    project: {
      workspaceId: place.project.id,
      projectId: place.project.id,
      projectName: place.project.name,
      environment: place.environment,
      environmentName: place.environmentName,
      secretPath: place.secretPath,
    },
    timestamp,
  };
}
