#!/usr/bin/env bash
# The OIDC login with nothing but curl and jq, as in the SPIRE guide: exchange the JWT-SVID for an
# access token, then read the secrets. On a SPIRE node the SVID comes from the agent:
#   JWT_SVID=$(spire-agent api fetch jwt -audience kms -socketPath /run/spire/sockets/agent.sock | grep -A1 "token(" | tail -1)
# Here it is read from the file a SPIFFE helper writes (KMS_OIDC_JWT_FILE).
set -euo pipefail
JWT_SVID=$(cat "$KMS_OIDC_JWT_FILE")

ACCESS_TOKEN=$(curl -s -X POST \
  -H "Content-Type: application/json" \
  -d "{\"identityId\":\"$KMS_IDENTITY_ID\",\"jwt\":\"$JWT_SVID\"}" \
  "$KMS_SITE_URL/api/v1/auth/oidc-auth/login" | jq -r '.accessToken')

curl -s -H "Authorization: Bearer $ACCESS_TOKEN" \
  "$KMS_SITE_URL/api/v3/secrets/raw?workspaceSlug=$KMS_PROJECT_SLUG&environment=$KMS_ENVIRONMENT&secretPath=${KMS_SECRET_PATH:-/}" |
  jq -r '.secrets[].secretKey'
