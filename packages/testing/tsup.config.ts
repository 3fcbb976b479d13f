import { packageBuild } from '../../tsup.base.ts';

export default packageBuild(
  { index: 'src/index.ts', msw: 'src/msw.ts' },
  { external: ['@hanzo/kms-server', 'msw'] },
);
