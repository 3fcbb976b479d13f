import { getSecret } from '@hanzo/kms-nextjs/server';
import { connection } from 'next/server';
import { Counter } from './counter';

// A server component: reads a secret at request time. `connection()` keeps the page out of prerendering,
// so nothing read here is baked into the build output.
export default async function Home() {
  await connection();
  const greeting = await getSecret('GREETING');
  const apiKey = await getSecret('API_KEY');
  return (
    <main>
      <h1 id="greeting">{greeting}</h1>
      <p id="api-key-length">api key length: {apiKey.length}</p>
      <Counter label="clicks" />
    </main>
  );
}
