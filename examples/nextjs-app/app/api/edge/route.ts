import { getSecret } from '@hanzo/kms-nextjs/server';

export const runtime = 'edge';
export const dynamic = 'force-dynamic';

// A route handler on the edge runtime: the fetch-only client, configured from the KMS_* variables.
export async function GET() {
  return Response.json({ runtime: process.env.NEXT_RUNTIME, greeting: await getSecret('GREETING') });
}
