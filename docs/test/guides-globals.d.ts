// What the guides' fragments leave to the reader: their own settings, ids, modules and helpers.
import type { KmsAuthOptions, KmsClient } from '@hanzo/kms';
import type { SecretsSession } from '@hanzo/kms-node';
import type * as z from 'zod';

declare global {
  const kms: KmsClient;
  const siteUrl: string;
  const auth: KmsAuthOptions;
  const clientId: string;
  const clientSecret: string;
  const projectId: string;
  const identityId: string;
  const jwt: string;
  const signingKey: { id: string };
  const signatureBase64: string;
  const appSecrets: z.ZodObject<{ DATABASE_URL: z.ZodString; API_KEY: z.ZodString }>;
  class AppModule {}
  interface Pool {
    end(): Promise<void>;
  }
  function createPool(url: string): Pool;
  function rotatePool(old: Pool, url: string): Promise<Pool>;
  let pool: Pool;
  const session: SecretsSession;
  function alertOn(keys: readonly string[]): void;
}
