import { KmsService } from '@hanzo/kms-nestjs';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { AppSecrets } from './secrets.js';

/**
 * Stands in for a connection pool: it is built from DATABASE_URL and rebuilt when the secret rotates.
 * Every constructor parameter names its token with @Inject: the app does not rely on decorator metadata.
 */
@Injectable()
export class DatabaseService implements OnModuleDestroy {
  #url: URL;
  #connections = 1;
  readonly #subscription: Subscription;

  constructor(@Inject(KmsService) kms: KmsService<AppSecrets>) {
    this.#url = new URL(kms.getOrThrow('DATABASE_URL'));
    this.#subscription = kms.changes$.subscribe((change) => {
      if (change.changed.includes('DATABASE_URL')) this.#reconnect(new URL(kms.getOrThrow('DATABASE_URL')));
    });
  }

  #reconnect(url: URL): void {
    this.#url = url;
    this.#connections += 1;
  }

  /** Where the pool points, without the password. */
  describe(): { host: string; database: string; user: string; connections: number } {
    return {
      host: this.#url.host,
      database: this.#url.pathname.slice(1),
      user: decodeURIComponent(this.#url.username),
      connections: this.#connections,
    };
  }

  onModuleDestroy(): void {
    this.#subscription.unsubscribe();
  }
}
