/**
 * Every route's description, gathered from the router files (each exports its `…RouteDocs` list
 * beside its routes). A new router file adds its list here; `test/openapi.test.ts` checks that
 * this catalogue and the routes the app registers are the same set.
 */
import { accessTokenRouteDocs } from '../auth/auth-router.js';
import { externalJwtAuthRouteDocs } from '../auth/external-jwt-auth-router.js';
import { tokenAuthRouteDocs } from '../auth/token-auth-router.js';
import { universalAuthRouteDocs } from '../auth/universal-auth-router.js';
import { auditRouteDocs } from '../audit/audit-router.js';
import { adminRouteDocs } from '../domains/admin/admin-router.js';
import { changesRouteDocs } from '../domains/changes/changes-router.js';
import { webhooksRouteDocs } from '../domains/webhooks/webhooks-router.js';
import { appConnectionsRouteDocs } from '../domains/app-connections/app-connections-router.js';
import { identitiesRouteDocs } from '../domains/identities/identities-router.js';
import { kmsRouteDocs } from '../domains/kms/kms-router.js';
import { environmentsRouteDocs } from '../domains/projects/environments-router.js';
import { membershipsRouteDocs } from '../domains/projects/memberships-router.js';
import { projectsRouteDocs } from '../domains/projects/projects-router.js';
import { foldersRouteDocs } from '../domains/secrets/folders-router.js';
import { importsRouteDocs } from '../domains/secrets/imports-router.js';
import { secretSnapshotsRouteDocs } from '../domains/secrets/secret-snapshots-router.js';
import { secretVersionsRouteDocs } from '../domains/secrets/secret-versions-router.js';
import { secretsRouteDocs } from '../domains/secrets/secrets-router.js';
import { tagsRouteDocs } from '../domains/secrets/tags-router.js';
import { secretRotationsRouteDocs } from '../domains/rotations/secret-rotations-router.js';
import { openApiRouteDocs } from './openapi-router.js';
import type { RouteDoc } from './route-doc.js';

/** All routes the server registers, as the OpenAPI document describes them. */
export const ROUTE_DOCS: readonly RouteDoc[] = [
  ...adminRouteDocs,
  ...universalAuthRouteDocs,
  ...externalJwtAuthRouteDocs,
  ...tokenAuthRouteDocs,
  ...accessTokenRouteDocs,
  ...identitiesRouteDocs,
  ...projectsRouteDocs,
  ...environmentsRouteDocs,
  ...membershipsRouteDocs,
  ...secretsRouteDocs,
  ...secretVersionsRouteDocs,
  ...secretSnapshotsRouteDocs,
  ...foldersRouteDocs,
  ...importsRouteDocs,
  ...tagsRouteDocs,
  ...kmsRouteDocs,
  ...auditRouteDocs,
  ...appConnectionsRouteDocs,
  ...secretRotationsRouteDocs,
  ...webhooksRouteDocs,
  ...changesRouteDocs,
  ...openApiRouteDocs,
];
