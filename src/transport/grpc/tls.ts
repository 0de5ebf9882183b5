// Server credentials for the gRPC port: plaintext only when configured so, otherwise TLS from PEM
// files that grpc-js re-reads every reloadIntervalMs (rotated certificates are picked up without a
// restart), with client certificates requested when a client CA is configured (verified ones
// identify callers) or required (mTLS only). Node's TLS defaults apply: TLS 1.2 or newer.
import { experimental, ServerCredentials } from '@grpc/grpc-js';

export type TlsConfig = Readonly<{
  enabled: boolean;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  clientCaFile?: string | undefined;
  requireClientCert: boolean;
  reloadIntervalMs: number;
}>;

type Provider = InstanceType<typeof experimental.FileWatcherCertificateProvider>;

/**
 * Resolves once the provider has read its files. grpc-js reads them only when the server starts
 * listening, and fails the handshakes that arrive before; waiting here also turns an unreadable
 * file into a startup error instead of refused connections.
 */
function firstRead(provider: Provider, kind: 'identity' | 'ca', files: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = (update: unknown) => {
      if (kind === 'identity') provider.removeIdentityCertificateListener(listener);
      else provider.removeCaCertificateListener(listener);
      if (update === null) reject(new Error(`grpc.tls: cannot read ${files}`));
      else resolve();
    };
    if (kind === 'identity') provider.addIdentityCertificateListener(listener);
    else provider.addCaCertificateListener(listener);
  });
}

export async function serverCredentials(tls: TlsConfig): Promise<ServerCredentials> {
  if (!tls.enabled) return ServerCredentials.createInsecure();
  const identity = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    refreshIntervalMs: tls.reloadIntervalMs,
  });
  await firstRead(identity, 'identity', `${tls.certFile ?? ''} and ${tls.keyFile ?? ''}`);
  let clientCa: Provider | null = null;
  if (tls.clientCaFile !== undefined) {
    clientCa = new experimental.FileWatcherCertificateProvider({
      caCertificateFile: tls.clientCaFile,
      refreshIntervalMs: tls.reloadIntervalMs,
    });
    await firstRead(clientCa, 'ca', tls.clientCaFile);
  }
  // grpc-js names this function's parameters (ca, identity) but passes them on as (identity, ca).
  return experimental.createCertificateProviderServerCredentials(identity, clientCa, tls.requireClientCert);
}
