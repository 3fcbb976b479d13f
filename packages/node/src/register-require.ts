/**
 * `node -r @hanzo/kms-node/register` / `require('@hanzo/kms-node/register')`: a CommonJS preload runs
 * synchronously and cannot wait for the network, so the app would start without its secrets. Rather than
 * race, this entry stops the process with a message that says what to use instead.
 *
 * @module
 */
const disabled = ['1', 'true', 'yes', 'on'].includes((process.env.KMS_DISABLE ?? '').trim().toLowerCase());
if (!disabled) {
  process.stderr.write(
    'kms: cannot load secrets: @hanzo/kms-node/register must be loaded with --import, not -r/require ' +
      '(a CommonJS preload cannot wait for the network). Use `node --import @hanzo/kms-node/register app.js` ' +
      '(works for CommonJS apps too), `kms run -- node app.js`, or `await loadSecrets()` at the top of main.\n',
  );
  process.exit(78);
}
