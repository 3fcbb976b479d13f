// Type tests, checked by `pnpm typecheck` (tsc covers test/).
import type { KmsClient } from '@hanzo/kms';
import type { ConfigType } from '@nestjs/config';
import { expectTypeOf } from 'vitest';
import * as z from 'zod';
import { kmsConfig } from '../src/config.js';
import { KmsModule, type KmsModuleOptions, type KmsService, type SecretsChange } from '../src/index.js';

declare const plain: KmsService;
expectTypeOf(plain.get('ANY')).toEqualTypeOf<string | undefined>();
expectTypeOf(plain.getOrThrow('ANY')).toEqualTypeOf<string>();
expectTypeOf(plain.client).toEqualTypeOf<KmsClient>();
expectTypeOf(plain.refresh()).toEqualTypeOf<Promise<SecretsChange | undefined>>();

const schema = z.object({ PORT: z.coerce.number(), DATABASE_URL: z.url(), DEBUG: z.string().optional() });
declare const typed: KmsService<z.output<typeof schema>>;
expectTypeOf(typed.getOrThrow('PORT')).toEqualTypeOf<number>();
expectTypeOf(typed.get('DEBUG')).toEqualTypeOf<string | undefined>();
// @ts-expect-error: not a key of the schema
typed.get('NOPE');

const billing = kmsConfig({ namespace: 'billing', schema: z.object({ RETRIES: z.coerce.number() }) });
expectTypeOf<ConfigType<typeof billing>>().toEqualTypeOf<{ RETRIES: number }>();
const untyped = kmsConfig({ namespace: 'raw' });
expectTypeOf<ConfigType<typeof untyped>>().toEqualTypeOf<Record<string, string>>();

// @ts-expect-error: unknown options are type errors too
KmsModule.forRoot({ clientSecrte: 'x' });
KmsModule.forRoot({ environment: 'dev', isGlobal: false, refreshInterval: 1000 });
KmsModule.forRootAsync({ useFactory: async (): Promise<KmsModuleOptions> => ({ environment: 'dev' }) });
