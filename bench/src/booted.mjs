// The app's first line after `node --import @hanzo/kms-node/register`: its 100 secrets must be in
// process.env already. Prints the peak RSS (KiB) when asked, for the memory figure.
const loaded = Object.keys(process.env).filter((k) => k.startsWith('KEY_')).length;
if (loaded !== 100) throw new Error(`expected 100 secrets in process.env, got ${loaded}`);
if (process.env.PRINT_FIRST_LINE) console.log(performance.now());
if (process.env.PRINT_MAX_RSS) console.log(process.resourceUsage().maxRSS);
