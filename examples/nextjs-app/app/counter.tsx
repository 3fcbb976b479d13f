'use client';

import { useState } from 'react';

// A client component: it ships to the browser, so it must never see a secret.
export function Counter({ label }: { label: string }) {
  const [count, setCount] = useState(0);
  return (
    <button type="button" onClick={() => setCount(count + 1)}>
      {label}: {count}
    </button>
  );
}
