// Server credentials for the gRPC port: plaintext only when configured so, otherwise TLS from PEM
// files that grpc-js re-reads every reloadIntervalMs (rotated certificates are picked up without a
// restart), with optional client-certificate verification against a CA bundle (mTLS). Node's TLS
// defaults apply: TLS 1.2 or newer.
import { experimental, ServerCredentials } from '@grpc/grpc-js';

export type TlsConfig = Readonly<{
  enabled: boolean;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  clientCaFile?: string | undefined;
  requireClientCert: boolean;
  reloadIntervalMs: number;
}>;

export function serverCredentials(tls: TlsConfig): ServerCredentials {
  if (!tls.enabled) return ServerCredentials.createInsecure();
  const identity = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    refreshIntervalMs: tls.reloadIntervalMs,
  });
  const clientCa =
    tls.clientCaFile === undefined
      ? null
      : new experimental.FileWatcherCertificateProvider({ caCertificateFile: tls.clientCaFile, refreshIntervalMs: tls.reloadIntervalMs });
  // grpc-js names this function's parameters (ca, identity) but passes them on as (identity, ca).
  return experimental.createCertificateProviderServerCredentials(identity, clientCa, tls.requireClientCert);
}
