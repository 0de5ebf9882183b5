// Development helper: mints an HS256 bearer token for the config named by CONF_PATH (default
// config/dev.yaml), prints it and saves it where the CLI looks by default (.orderflow/token).
//   npm run token -- --subject alice --scopes orders:read,orders:write,catalog:read --ttl 8h
// Refuses anything but env: dev: production tokens come from the identity provider.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { loadConfig } from '../config.js';
import { ConfigError } from '../platform/config.js';

const DEFAULT_SCOPES = 'orders:read,orders:write,catalog:read';
const TOKEN_FILE = '.orderflow/token';

function fail(message: string, code = 2): never {
  process.stderr.write(`orderflow token: ${message}\n`);
  process.exit(code);
}

const { values } = parseArgs({
  options: {
    subject: { type: 'string', default: 'dev-user' },
    scopes: { type: 'string', default: DEFAULT_SCOPES },
    admin: { type: 'boolean', default: false },
    ttl: { type: 'string', default: '8h' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help === true) {
  process.stdout.write(
    `Usage: npm run token -- [--subject ID] [--scopes a:b,c:d] [--admin] [--ttl 8h]\n` +
      `Mints a development token (default subject dev-user, scopes ${DEFAULT_SCOPES}); --admin adds orders:admin\n` +
      `(act for every customer). The token is printed and saved to ${TOKEN_FILE}, which the CLI uses by default.\n`,
  );
  process.exit(0);
}

let config;
try {
  config = loadConfig(undefined, 'config/dev.yaml');
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
const jwt = config.auth.jwt;
if (config.env !== 'dev') fail(`refusing to mint tokens for env: ${config.env}; tokens there come from the identity provider`);
if (jwt?.hs256Secret === undefined || !jwt.algorithms.includes('HS256')) fail('the config has no HS256 key (auth.jwt.hs256Secret)');

const scopes = [
  ...new Set([
    ...values.scopes
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    ...(values.admin ? ['orders:admin'] : []),
  ]),
];
const token = await new SignJWT({ scope: scopes.join(' ') })
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setIssuer(jwt.issuer)
  .setAudience(jwt.audience)
  .setSubject(values.subject)
  .setIssuedAt()
  .setExpirationTime(values.ttl)
  .sign(new TextEncoder().encode(jwt.hs256Secret.reveal()));
mkdirSync('.orderflow', { recursive: true, mode: 0o700 });
writeFileSync(TOKEN_FILE, `${token}\n`, { mode: 0o600 });
process.stdout.write(`${token}\n`);
process.stderr.write(
  `orderflow token: subject ${values.subject}, scopes ${scopes.join(' ')}, expires in ${values.ttl}; saved to ${TOKEN_FILE}\n`,
);
