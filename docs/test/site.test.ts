// The built site (`typedoc` runs before this in the package's test script, into docs/site): the landing
// page shows its title once, the sidebar names guides by their front-matter titles, and the KmsClient
// page keeps its error-class aliases in their own group after the methods.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, inflateSync } from 'node:zlib';
import { expect, it } from 'vitest';

const docsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = join(docsDir, 'site');
const typedoc = JSON.parse(readFileSync(join(docsDir, 'typedoc.json'), 'utf8')) as {
  projectDocuments: string[];
};

function navigation(): { text: string }[] {
  const script = readFileSync(join(site, 'assets', 'navigation.js'), 'utf8');
  const data = Buffer.from(/"([A-Za-z0-9+/=]+)"/.exec(script)![1]!, 'base64');
  const inflate = data[0] === 0x1f ? gunzipSync : inflateSync;
  return JSON.parse(inflate(data).toString('utf8'));
}

it('the landing page shows its title once', () => {
  const html = readFileSync(join(site, 'index.html'), 'utf8');
  expect(html.match(/<h1[^>]*>/g)).toEqual(['<h1>']);
  expect(html).toContain('<h1>Hanzo KMS for TypeScript</h1>');
});

it('the sidebar names each guide by its title, in the order of typedoc.json', () => {
  const titles = typedoc.projectDocuments
    .filter((entry) => !entry.includes('*'))
    .map((file) => /^---\ntitle: (.+)\n---\n/.exec(readFileSync(join(docsDir, file), 'utf8'))?.[1]);
  expect(titles).not.toContain(undefined);
  const texts = navigation().map((entry) => entry.text);
  expect(texts.slice(0, titles.length)).toEqual(titles);
  expect(texts).not.toContain('oidc-spiffe');
});

it('KmsClient lists its services as properties and the error-class aliases after the methods', () => {
  const html = readFileSync(join(site, 'classes', '_hanzo_kms.KmsClient.html'), 'utf8');
  const section = (from: string, to: string) =>
    html.slice(html.indexOf(`id="${from}"`), html.indexOf(`id="${to}"`));
  expect(html.indexOf('id="methods"')).toBeLessThan(html.indexOf('id="error-class-aliases"'));
  const properties = section('properties', 'accessors');
  expect([...properties.matchAll(/<span>(\w+)<\/span>/g)].map((m) => m[1])).toEqual([
    'auth',
    'changes',
    'folders',
    'kms',
    'secrets',
  ]);
  expect(html.slice(html.indexOf('id="error-class-aliases"'))).toContain('KmsNotFoundError');
});
