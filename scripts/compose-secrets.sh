#!/usr/bin/env bash
# Generates the secret files deploy/docker-compose.yml mounts (compose `secrets:`, at
# /run/secrets/<name> in the containers). They never appear in the compose file, in
# `environment:` or in git (.gitignore lists the directory).
#
#   scripts/compose-secrets.sh [DIR]     DIR defaults to $ORDERFLOW_SECRETS_DIR or deploy/compose/secrets
#   scripts/compose-secrets.sh --force [DIR]
#
# Existing files are kept, so running it again is harmless. --force makes new ones: PostgreSQL
# keeps the password it was initialised with in its volume, so after --force recreate the stack
# with `docker compose -f deploy/docker-compose.yml down -v` (this deletes the data).
# Files are 0644 inside a 0700 directory: compose bind-mounts each file as it is, and the
# containers' users (node 1000, postgres 999, redis 999, grafana 472) must be able to read it,
# while on the host only the owner can reach the directory.
set -euo pipefail

force=false
if [ "${1:-}" = "--force" ]; then force=true; shift; fi
dir=${1:-${ORDERFLOW_SECRETS_DIR:-"$(cd "$(dirname "$0")/.." && pwd)/deploy/compose/secrets"}}

mkdir -p "$dir"
chmod 0700 "$dir"

random_hex() { head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }
sha256_hex() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

# put NAME VALUE: writes $dir/NAME (0644, no trailing newline added) atomically.
put() {
  (umask 022 && printf %s "$2" >"$dir/$1.tmp") && mv -f "$dir/$1.tmp" "$dir/$1"
  chmod 0644 "$dir/$1"
}
# random NAME BYTES: a new random secret, unless one exists (and --force is off).
random() {
  if [ -e "$dir/$1" ] && [ "$force" = false ]; then echo "  kept  $1"; return; fi
  put "$1" "$2"
  echo "  wrote $1"
}
# derived NAME VALUE: computed from another secret, so always rewritten (it follows its source).
derived() {
  put "$1" "$2"
  echo "  wrote $1"
}

echo "compose secrets in $dir"
random postgres-password "$(random_hex 24)"
random grafana-admin-password "$(random_hex 16)"
# HS256 key for development tokens (npm run token, see the README's compose quick start).
random jwt-hs256-key "$(random_hex 32)"
# Redis: clients use the password; the server's ACL file holds only its SHA-256.
random redis-password "$(random_hex 24)"
derived redis-acl "user default on #$(sha256_hex "$(cat "$dir/redis-password")") ~* &* +@all"$'\n'
# orders -> catalog: orders sends the key (x-api-key); catalog stores only its SHA-256.
random catalog-api-key "svc_$(random_hex 24)"
derived catalog-api-key-sha256 "$(sha256_hex "$(cat "$dir/catalog-api-key")")"
