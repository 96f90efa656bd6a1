#!/usr/bin/env bash
# Runs the simulator's tests the way they must run: the CA exists before Node starts, and
# Node trusts it through NODE_EXTRA_CA_CERTS (nothing disables TLS verification).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"
ca_dir="${BITLOCKER_SIM_CA_DIR:-$PWD/.sim}"
node -r ts-node/register simulator/cli.ts ca --ca-dir "$ca_dir" >/dev/null
NODE_EXTRA_CA_CERTS="$ca_dir/ca.pem" mocha "test/simulator/**/*.test.ts" "$@"
