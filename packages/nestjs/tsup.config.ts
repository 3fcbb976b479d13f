import { packageBuild } from '../../tsup.base.ts';

// Two entries: the module (no @nestjs/config import) and `./config`, the only file that imports
// @nestjs/config, so that the optional peer is needed only by apps that use `kmsConfig()`.
export default packageBuild({ index: 'src/index.ts', config: 'src/config.ts' });
