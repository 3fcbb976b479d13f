import { getSecret, getSecrets } from '@hanzo/kms-nextjs/server';

export const dynamic = 'force-dynamic';

// A route handler on the Node runtime: secrets from the shared store and from process.env (withKms fills both).
export async function GET() {
  const secrets = await getSecrets();
  return Response.json({
    runtime: process.env.NEXT_RUNTIME,
    greeting: await getSecret('GREETING'),
    fromProcessEnv: process.env.GREETING,
    keys: Object.keys(secrets).sort(),
  });
}
