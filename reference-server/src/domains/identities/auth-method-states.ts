/**
 * Which auth methods an identity has and which are locked out now, as identity listings report
 * them. Method names only, never a client id or secret.
 */
import type { ServerContext } from '../../context.js';

/** An identity's attached auth methods, and those locked out right now. */
export interface AuthMethodStates {
  authMethods: string[];
  activeLockoutAuthMethods: string[];
}

/**
 * The `authMethods` and `activeLockoutAuthMethods` of identity listings, as upstream reports them
 * (identity-fns.ts `getIdentityActiveLockoutAuthMethods`): method names only, never a client id.
 */
export async function authMethodStates(ctx: ServerContext, identityId: string): Promise<AuthMethodStates> {
  const methods = await ctx.store.access.listAuthMethods(identityId);
  const now = ctx.now();
  const locked: string[] = [];
  for (const method of methods) {
    const lockout = await ctx.store.access.getLockout(method.id);
    if (lockout?.lockedUntil && lockout.lockedUntil > now) locked.push(method.method);
  }
  return { authMethods: methods.map((m) => m.method), activeLockoutAuthMethods: locked };
}
