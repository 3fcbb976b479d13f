/** The key object of the KMS keys API (upstream's shape): what the router answers with, never material. */
import type { KmsKeyRecord } from '../../store/records.js';

/** The key as the API returns it (upstream's key object). */
export function keyView(k: KmsKeyRecord) {
  return {
    id: k.id,
    name: k.name,
    description: k.description,
    isDisabled: k.isDisabled,
    orgId: k.orgId,
    projectId: k.projectId,
    keyUsage: k.keyUsage,
    version: k.version,
    encryptionAlgorithm: k.encryptionAlgorithm,
    algorithm: k.encryptionAlgorithm,
    isExportable: k.isExportable,
    createdAt: k.createdAt,
    updatedAt: k.updatedAt,
  };
}
