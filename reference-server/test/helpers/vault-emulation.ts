// A small, faithful emulation of HashiCorp Vault's transit engine HTTP API (datakey/plaintext,
// encrypt, decrypt, key rotation, `vault:vN:` ciphertexts, Vault's `{ errors: [...] }` bodies), as msw
// handlers. No Vault can be reached from these machines; reference-server/README.md says so.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { HttpResponse, http } from 'msw';

export class VaultTransitEmulation {
  /** Key versions by key name; version n is `versions[n - 1]`. */
  readonly keys = new Map<string, Buffer[]>();
  readonly requests: { path: string; token: string | null }[] = [];
  /** Answer the next N requests with 503 (a transient failure). */
  failNext = 0;

  constructor(
    readonly address: string,
    readonly token: string,
    readonly mount = 'transit',
  ) {}

  createKey(name: string) {
    this.keys.set(name, [randomBytes(32)]);
  }

  /** `vault write -f transit/keys/<name>/rotate`. */
  rotate(name: string) {
    this.keys.get(name)?.push(randomBytes(32));
  }

  private encrypt(name: string, plaintext: Buffer): string {
    const versions = this.keys.get(name)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', versions.at(-1)!, iv);
    const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return `vault:v${versions.length}:${body.toString('base64')}`;
  }

  private decrypt(name: string, ciphertext: string): Buffer | undefined {
    const match = /^vault:v(\d+):(.+)$/.exec(ciphertext);
    const key = match ? this.keys.get(name)?.[Number(match[1]) - 1] : undefined;
    if (!match || !key) return undefined;
    const raw = Buffer.from(match[2]!, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  handlers() {
    const base = `${this.address}/v1/${this.mount}`;
    const errors = (status: number, ...messages: string[]) =>
      HttpResponse.json({ errors: messages }, { status });
    const guard = (request: Request, name: string) => {
      this.requests.push({
        path: new URL(request.url).pathname,
        token: request.headers.get('x-vault-token'),
      });
      if (this.failNext > 0) {
        this.failNext--;
        return errors(503, 'Vault is sealed');
      }
      if (request.headers.get('x-vault-token') !== this.token) return errors(403, 'permission denied');
      if (!this.keys.has(name)) return errors(400, 'encryption key not found');
      return undefined;
    };
    return [
      http.post(`${base}/datakey/plaintext/:name`, ({ request, params }) => {
        const name = String(params.name);
        const refused = guard(request, name);
        if (refused) return refused;
        const plaintext = randomBytes(32);
        return HttpResponse.json({
          data: {
            plaintext: plaintext.toString('base64'),
            ciphertext: this.encrypt(name, plaintext),
            key_version: this.keys.get(name)!.length,
          },
        });
      }),
      http.post(`${base}/encrypt/:name`, async ({ request, params }) => {
        const name = String(params.name);
        const refused = guard(request, name);
        if (refused) return refused;
        const { plaintext } = (await request.json()) as { plaintext?: string };
        if (typeof plaintext !== 'string') return errors(400, 'missing plaintext to encrypt');
        return HttpResponse.json({
          data: { ciphertext: this.encrypt(name, Buffer.from(plaintext, 'base64')) },
        });
      }),
      http.post(`${base}/decrypt/:name`, async ({ request, params }) => {
        const name = String(params.name);
        const refused = guard(request, name);
        if (refused) return refused;
        const { ciphertext } = (await request.json()) as { ciphertext?: string };
        const plaintext = typeof ciphertext === 'string' ? this.decrypt(name, ciphertext) : undefined;
        if (!plaintext) return errors(400, 'invalid ciphertext: unable to decrypt');
        return HttpResponse.json({ data: { plaintext: plaintext.toString('base64') } });
      }),
    ];
  }
}
