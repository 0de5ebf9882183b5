#!/usr/bin/env bash
# Development certificates for TLS and mTLS, made with openssl: a throwaway CA, a server
# certificate for localhost/127.0.0.1, and a client certificate (common name = first argument,
# default "orders-client"). Writes into certs/dev/ (ignored by git). Never use these outside
# development.
#   npm run certs                # or: scripts/dev-certs.sh [client-common-name] [output-dir]
set -euo pipefail
cn="${1:-orders-client}"
out="${2:-certs/dev}"
days=825
mkdir -p "$out"
cd "$out"

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days "$days" \
  -subj "/CN=orderflow development CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

issue() { # name subject extensions
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days "$days" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

issue server "/CN=localhost" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
issue client "/CN=$cn" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
chmod 600 ./*.key
rm -f ca.srl

echo "certificates in $out: ca.crt, server.crt/server.key, client.crt/client.key (client CN=$cn)"
echo "server: ORDERFLOW_GRPC__TLS='{enabled: true, certFile: $out/server.crt, keyFile: $out/server.key, clientCaFile: $out/ca.crt, requireClientCert: true}'"
echo "client: npm run cli -- --ca-file $out/ca.crt --cert-file $out/client.crt --key-file $out/client.key health"
