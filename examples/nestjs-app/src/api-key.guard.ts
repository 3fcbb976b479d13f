import { timingSafeEqual } from 'node:crypto';
import { KmsService } from '@hanzo/kms-nestjs';
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { AppSecrets } from './secrets.js';

/** Accepts requests whose `x-api-key` header matches the API_KEY secret, read at request time. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(KmsService) private readonly kms: KmsService<AppSecrets>) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers[
      'x-api-key'
    ];
    const given = Buffer.from(typeof header === 'string' ? header : '');
    const expected = Buffer.from(this.kms.getOrThrow('API_KEY'));
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    throw new UnauthorizedException('invalid API key');
  }
}
