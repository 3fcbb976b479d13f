/**
 * How secrets appear on the wire, the value masked unless the caller may read it. Pure shaping.
 */
import type { SecretRecord, TagRecord } from '../../store/records.js';
import type { SecretMetadataItem } from './secret-crypto.js';

/** Upstream's mask is `<hidden-by-infisical>`; this fork's (docs/reference/api.md, decision D12). */
export const HIDDEN_SECRET_VALUE = '<hidden-by-kms>';

/** The fields of the API's secret object (docs/reference/api.md#secrets), and nothing else. */
export function baseSecretView(
  secret: SecretRecord,
  o: { workspace: string; envSlug: string; value: string; comment: string; reminderNote: string | null },
) {
  return {
    id: secret.id,
    _id: secret.id,
    workspace: o.workspace,
    environment: o.envSlug,
    version: secret.version,
    type: secret.type,
    secretKey: secret.key,
    secretValue: o.value,
    secretComment: o.comment,
    secretReminderNote: o.reminderNote,
    secretReminderRepeatDays: secret.reminderRepeatDays,
    skipMultilineEncoding: secret.skipMultilineEncoding,
    createdAt: secret.createdAt,
    updatedAt: secret.updatedAt,
    actor: secret.actor ? { ...secret.actor, membershipId: null, groupId: null } : null,
  };
}

/** One entry of a secrets list: {@link baseSecretView}'s fields, then path, hidden flag, metadata and tags. */
export function listedSecretView(
  secret: SecretRecord,
  o: {
    workspace: string;
    envSlug: string;
    value: string;
    comment: string;
    reminderNote: string | null;
    path: string;
    valueHidden: boolean;
    metadata: SecretMetadataItem[];
    tagsById: Map<string, TagRecord>;
  },
) {
  return {
    ...baseSecretView(secret, o),
    secretPath: o.path,
    secretValueHidden: o.valueHidden,
    secretMetadata: metadataView(o.metadata),
    tags: secretTagsView(secret.tagIds, o.tagsById),
  };
}

/** Tags as a secret carries them: `{id, slug, color, name}`, in the project's tag order. */
export function secretTagsView(tagIds: string[], tagsById: Map<string, TagRecord>) {
  if (tagIds.length === 0) return [];
  const wanted = new Set(tagIds);
  return [...tagsById.values()]
    .filter((tag) => wanted.has(tag.id))
    .map((tag) => ({ id: tag.id, slug: tag.slug, color: tag.color, name: tag.slug }));
}

/** Metadata as the API returns it. */
export const metadataView = (metadata: SecretMetadataItem[]) =>
  metadata.map((m) => ({ key: m.key, value: m.value, isEncrypted: m.isEncrypted }));

/** Metadata for audit entries: values of encrypted entries never leave the server. */
export const metadataForAudit = (metadata: SecretMetadataItem[]) =>
  metadata.map((m) => ({
    key: m.key,
    value: m.isEncrypted ? '<sensitive>' : m.value,
    isEncrypted: m.isEncrypted,
  }));
