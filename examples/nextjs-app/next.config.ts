import type { NextConfig } from 'next';
import { withKms } from '@hanzo/kms-nextjs';

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
};

// The one line: secrets are loaded when `next start` / `next dev` starts, never during `next build`.
export default withKms(nextConfig);
