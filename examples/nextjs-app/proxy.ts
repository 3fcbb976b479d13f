import { getSecret } from '@hanzo/kms-nextjs/server';
import { NextResponse } from 'next/server';

// proxy.ts is Next 16's name for middleware, and it runs on the Node.js runtime: it reads the
// secrets withKms loaded at start, with the same getSecret() as routes and server components.
export async function proxy() {
  const response = NextResponse.next();
  response.headers.set('x-greeting-length', String((await getSecret('GREETING')).length));
  return response;
}

export const config = { matcher: '/api/secret' };
