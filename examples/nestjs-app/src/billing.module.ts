import { kmsConfig } from '@hanzo/kms-nestjs/config';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { ConfigModule, ConfigService, type ConfigType } from '@nestjs/config';
import * as z from 'zod';

/**
 * The second way to wire KMS: a namespaced @nestjs/config factory. It reads `/billing` once at boot with
 * its own short-lived session and validates with its own schema (ConfigModule's validationSchema
 * never sees `load` values).
 */
export const billingConfig = kmsConfig({
  namespace: 'billing',
  secretPath: '/billing',
  schema: z.object({
    STRIPE_KEY: z.string().regex(/^sk_(test|live)_/),
    PAYMENT_RETRIES: z.coerce.number().int().min(0).default(3),
  }),
});

@Controller('billing')
export class BillingController {
  constructor(
    @Inject(ConfigService) private readonly config: ConfigService,
    @Inject(billingConfig.KEY) private readonly billing: ConfigType<typeof billingConfig>,
  ) {}

  @Get()
  info() {
    return {
      mode: this.config.getOrThrow<string>('billing.STRIPE_KEY').startsWith('sk_live_') ? 'live' : 'test',
      retries: this.billing.PAYMENT_RETRIES,
    };
  }
}

@Module({
  // The app imports ConfigModule itself: @hanzo/kms-nestjs never does it behind its back.
  imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [billingConfig] })],
  controllers: [BillingController],
})
export class BillingModule {}
