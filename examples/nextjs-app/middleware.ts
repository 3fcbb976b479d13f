import { getSecret } from '@hanzo/kms-nextjs/server';
import { NextResponse } from 'next/server';

// Middleware runs on the edge runtime: it reads secrets through the fetch-only client.
export async function middleware() {
  const response = NextResponse.next();
  response.headers.set('x-greeting-length', String((await getSecret('GREETING')).length));
  return response;
}

export const config = { matcher: '/api/secret' };
