// How the CLI proves who it is and whom it talks to: a bearer token (--token, --token-file, or
// the file `npm run token` writes), an API key, and TLS (optionally with a client certificate).
import { existsSync, readFileSync } from 'node:fs';
import { type ChannelCredentials, credentials } from '@grpc/grpc-js';
import { Metadata } from 'nice-grpc';
import { flagValue, stringValue, UsageError } from './args.js';
import type { OptionValues } from './command.js';
import { readInputFile } from './input-file.js';

/** Where `npm run token` leaves the last minted development token. */
export const DEFAULT_TOKEN_FILE = '.orderflow/token';

function bearerToken(values: OptionValues): string | undefined {
  const token = stringValue(values, 'token');
  if (token !== undefined) return token;
  const file = stringValue(values, 'token-file');
  if (file !== undefined) return readInputFile(file, 'the token file').toString('utf8').trim();
  if (stringValue(values, 'api-key') === undefined && existsSync(DEFAULT_TOKEN_FILE))
    return readFileSync(DEFAULT_TOKEN_FILE, 'utf8').trim();
  return undefined;
}

/** Metadata sent with every call. */
export function callMetadata(values: OptionValues): Metadata {
  const metadata = Metadata();
  const token = bearerToken(values);
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  const apiKey = stringValue(values, 'api-key');
  if (apiKey !== undefined) metadata.set('x-api-key', apiKey);
  return metadata;
}

export function channelCredentials(values: OptionValues): ChannelCredentials {
  const ca = stringValue(values, 'ca-file');
  const cert = stringValue(values, 'cert-file');
  const key = stringValue(values, 'key-file');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert-file and --key-file go together');
  if (!flagValue(values, 'tls') && ca === undefined && cert === undefined) return credentials.createInsecure();
  return credentials.createSsl(
    ca === undefined ? null : readInputFile(ca, 'the CA file'),
    key === undefined ? null : readInputFile(key, 'the key file'),
    cert === undefined ? null : readInputFile(cert, 'the certificate file'),
  );
}
