#!/usr/bin/env bash
# Installs promtool, which test/deploy/monitoring.test.ts needs to check the Prometheus config and
# to unit-test the alert rules. Idempotent: does nothing but print the version when promtool is
# already on PATH. Otherwise installs Debian's `prometheus` package (needs root and apt), without
# starting the Prometheus server it contains.
#
# Debian's build leaves out some service discovery mechanisms (kubernetes_sd_configs among them), so
# deploy/prometheus/kubernetes-scrape.yml is only fully validated by an upstream promtool; put one on
# PATH first (or set PROMTOOL=/path/to/promtool for the tests) if you need that.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  promtool --version 2>&1 | head -n 1
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-promtool: promtool is missing and this is not a Debian/Ubuntu machine;" >&2
  echo "  download it from https://prometheus.io/download/ (it ships in the prometheus tarball)." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-promtool: promtool is missing; installing it needs root: sudo $0" >&2
  exit 1
fi

# The package's maintainer scripts would start a Prometheus server on :9090. A policy-rc.d that
# answers 101 forbids that for the duration of the install (unless the machine already has one).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  trap 'rm -f "$policy"' EXIT
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus >/dev/null

if ! command -v promtool >/dev/null 2>&1; then
  echo "install-promtool: the prometheus package installed, but promtool is not on PATH" >&2
  exit 1
fi
promtool --version 2>&1 | head -n 1
