#!/usr/bin/env bash
# `npm test`: the whole suite on this machine — unit, simulated tenant, integration (engine +
# Graph client over HTTPS) and end-to-end (the real `pulumi` CLI). Brings what it needs:
# the package build, the simulated tenant's CA, and the Pulumi CLI (built once per machine).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

node -e 'if (+process.versions.node.split(".")[0] < 22) { console.error(`Node ${process.version}: run npm ci first (it brings Node 24)`); process.exit(1) }'
npm run --silent build
# The CA must exist before any Node process that trusts it starts (NODE_EXTRA_CA_CERTS is read at start).
node -e 'require("./simulator/dist").ensureCa(".sim").catch((e) => { console.error(e); process.exit(1) })'
export NODE_EXTRA_CA_CERTS="$PWD/.sim/ca.pem"
# A missing CLI is an error, never a skip: provisioning fails loudly.
bash scripts/provision-pulumi.sh >/dev/null

mocha "$@" "test/unit/**/*.test.ts" "test/simulator/**/*.test.ts" "test/integration/**/*.test.ts" "test/e2e/**/*.test.ts" "test/reliability/**/*.test.ts"
