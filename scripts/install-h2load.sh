#!/usr/bin/env bash
# Installs h2load, the HTTP/2 load generator `npm run bench` drives unary gRPC calls with (C, far
# cheaper per call than a Node.js client, so the server under test is what saturates). Idempotent:
# does nothing but print the version when h2load is already on PATH. Otherwise installs Debian's
# `nghttp2-client` package (needs root and apt).
set -euo pipefail

if command -v h2load >/dev/null 2>&1; then
  h2load --version 2>&1 | head -n 1
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-h2load: h2load is missing and this is not a Debian/Ubuntu machine;" >&2
  echo "  install nghttp2's h2load with your package manager (it is in the nghttp2 client tools)." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-h2load: h2load is missing; installing it needs root: sudo $0" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends nghttp2-client >/dev/null

if ! command -v h2load >/dev/null 2>&1; then
  echo "install-h2load: nghttp2-client installed, but h2load is not on PATH" >&2
  exit 1
fi
h2load --version 2>&1 | head -n 1
