import { KmsService } from '@hanzo/kms-nestjs';
import { Controller, Get, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard.js';
import { DatabaseService } from './database.service.js';
import type { AppSecrets } from './secrets.js';

@Controller()
export class AppController {
  constructor(
    @Inject(DatabaseService) private readonly database: DatabaseService,
    @Inject(KmsService) private readonly kms: KmsService<AppSecrets>,
  ) {}

  /** Where the database pool points (never the password). */
  @Get('db')
  db() {
    return this.database.describe();
  }

  /** A route protected by the API key from KMS. */
  @Get('private')
  @UseGuards(ApiKeyGuard)
  private() {
    return { ok: true };
  }

  /** Reads the KMS folder again now; answers with the changed key names. */
  @Post('admin/refresh')
  @HttpCode(200)
  @UseGuards(ApiKeyGuard)
  async refresh() {
    const change = await this.kms.refresh();
    return { changed: change?.keys ?? [] };
  }

  /** Session and freshness, without values. */
  @Get('health')
  health() {
    return this.kms.status();
  }
}
