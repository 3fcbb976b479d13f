import { KmsModule } from '@hanzo/kms-nestjs';
import { Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard.js';
import { AppController } from './app.controller.js';
import { BillingModule } from './billing.module.js';
import { DatabaseService } from './database.service.js';
import { appSecrets } from './secrets.js';

/**
 * Server, credentials, project and environment come from KMS_SITE_URL, KMS_CLIENT_ID, KMS_CLIENT_SECRET,
 * KMS_PROJECT_SLUG and KMS_ENVIRONMENT (or /etc/kms/auth files), read when the app boots.
 */
@Module({
  imports: [KmsModule.forRoot({ secretPath: '/app', schema: appSecrets }), BillingModule],
  controllers: [AppController],
  providers: [DatabaseService, ApiKeyGuard],
})
export class AppModule {}
