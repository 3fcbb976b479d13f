// Repository-level checks that belong to no single package: the README's two
// command lines and .ci/run must agree, so CI runs exactly what the README promises.
import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');
const failures = [];
const testLine = readme.match(/^ {0,4}(scripts\/run test)\s*$/m)?.[1];
if (!testLine) failures.push('README.md does not state the test command line `scripts/run test`');
if (!/^exec scripts\/run test$/m.test(ci)) failures.push('.ci/run does not run exactly `scripts/run test`');
if (!/^ {0,4}scripts\/run dev\s*$/m.test(readme))
  failures.push('README.md does not state the main command line `scripts/run dev`');
for (const f of failures) console.error(`check-repo: ${f}`);
console.log(`check-repo: ${3 - failures.length} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
