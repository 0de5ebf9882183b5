#!/usr/bin/env bash
# Puts in place the tools test/deploy/ needs to check the deployment files without a container
# engine or a cluster:
#   - docker-compose (Debian's package, v1.29) for `docker-compose config -q` on
#     deploy/docker-compose.yml: installed with apt when missing (needs root);
#   - kubectl with kustomize v5 for `kubectl kustomize deploy/k8s/overlays/*`: never installed
#     here (it comes with the machine); the script fails loudly when it is missing or too old.
# Idempotent: prints the versions and does nothing else when both are already there.
set -euo pipefail

if ! command -v docker-compose >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deploy-tools: docker-compose is missing and this is not a Debian/Ubuntu machine;" >&2
    echo "  install docker-compose (v1.29+) or Docker Compose v2 and put docker-compose on PATH." >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deploy-tools: docker-compose is missing; installing it needs root: sudo $0" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Only the compose tool (Python): no engine is installed or started.
  apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi
docker-compose version --short 2>/dev/null || docker-compose --version

if ! command -v kubectl >/dev/null 2>&1; then
  echo "install-deploy-tools: kubectl is not on PATH. The Kubernetes overlays in deploy/k8s are rendered" >&2
  echo "  with 'kubectl kustomize' (kustomize v5); install kubectl >= 1.27 and run this again." >&2
  exit 1
fi
kustomize_version=$(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"kustomizeVersion": *"\([^"]*\)".*/\1/p')
case "$kustomize_version" in
  v5.*) echo "kubectl $(kubectl version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p'), kustomize $kustomize_version" ;;
  *)
    echo "install-deploy-tools: kubectl's kustomize is '${kustomize_version:-unknown}', not v5; deploy/k8s needs kustomize v5" >&2
    echo "  (kubectl >= 1.27). Upgrade kubectl." >&2
    exit 1
    ;;
esac
