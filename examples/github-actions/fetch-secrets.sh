#!/usr/bin/env bash
# Fetch a project's secrets from Hanzo KMS into a GitHub Actions job with nothing but curl and jq.
# Inputs (env): KMS_SITE_URL, KMS_CLIENT_ID, KMS_CLIENT_SECRET, KMS_PROJECT_SLUG, KMS_ENVIRONMENT,
#               KMS_SECRET_PATH (default /), GITHUB_ENV (set by the runner).
# Each value is masked in the job log before it is exported.
set -euo pipefail

# Every missing input at once, before logging in (a token is never left behind by a missing input).
missing=()
for name in KMS_SITE_URL KMS_CLIENT_ID KMS_CLIENT_SECRET KMS_PROJECT_SLUG KMS_ENVIRONMENT GITHUB_ENV; do
  [ -n "${!name:-}" ] || missing+=("$name")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "fetch-secrets: not set: ${missing[*]} (GITHUB_ENV is set by the Actions runner; elsewhere name a file)" >&2
  exit 64
fi

token=''
revoke() {
  [ -n "$token" ] || return 0
  curl -sS -o /dev/null -X POST "$KMS_SITE_URL/api/v1/auth/token/revoke" \
    -H 'Content-Type: application/json' -d "$(jq -n --arg t "$token" '{accessToken: $t}')"
}
# Whatever fails after the login, the token is revoked and the secrets file removed.
trap 'rm -f secrets.json; revoke' EXIT

login_body=$(jq -n --arg id "$KMS_CLIENT_ID" --arg secret "$KMS_CLIENT_SECRET" '{clientId: $id, clientSecret: $secret}')
token=$(curl -sS --fail-with-body -X POST "$KMS_SITE_URL/api/v1/auth/universal-auth/login" \
  -H 'Content-Type: application/json' -d "$login_body" | jq -r .accessToken)
echo "::add-mask::$token"

curl -sS --fail-with-body -G "$KMS_SITE_URL/api/v3/secrets/raw" \
  -H "Authorization: Bearer $token" \
  --data-urlencode "workspaceSlug=$KMS_PROJECT_SLUG" \
  --data-urlencode "environment=$KMS_ENVIRONMENT" \
  --data-urlencode "secretPath=${KMS_SECRET_PATH:-/}" \
  --data-urlencode "expandSecretReferences=true" > secrets.json

jq -r '.secrets[].secretValue | "::add-mask::" + .' secrets.json
# Multi-line values use the heredoc form GitHub documents for $GITHUB_ENV.
jq -r '.secrets[] | "\(.secretKey)<<KMS_EOF\n\(.secretValue)\nKMS_EOF"' secrets.json >> "$GITHUB_ENV"
