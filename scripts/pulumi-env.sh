# Source me (bash): `source scripts/pulumi-env.sh` — then `pulumi up` works in this
# repository without internet and without touching ~/.pulumi.
#
# What it sets (each only if not already set, so CI can override any of them):
#   PATH                      the provisioned CLI + plugins first, then node_modules/.bin (Node 24)
#   PULUMI_BACKEND_URL        file://<repo>/.pulumi-state   (local state, no Pulumi Cloud login)
#   PULUMI_CONFIG_PASSPHRASE  a demo value: secrets in the demo stack are NOT protected by it
#   PULUMI_HOME               <repo>/.pulumi-home           (workspace settings, plugin cache)
#   PULUMI_SKIP_UPDATE_CHECK, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true (no downloads)
# Provisioning may build the CLI on first use (minutes); see scripts/provision-pulumi.sh.
# No `set -euo pipefail` here: it would leak into the interactive shell that sources us.

__pib_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if __pib_bin="$(bash "$__pib_repo/scripts/provision-pulumi.sh" | tail -n1)" && [ -x "$__pib_bin/pulumi" ]; then
  # Prepend (unless already there) node_modules/.bin, then the CLI dir, so the CLI comes first.
  for __pib_d in "$__pib_repo/node_modules/.bin" "$__pib_bin"; do
    case ":$PATH:" in *":$__pib_d:"*) ;; *) PATH="$__pib_d:$PATH" ;; esac
  done
  export PATH
  export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$__pib_repo/.pulumi-state}"
  if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE="demo-passphrase-not-a-secret"
  fi
  export PULUMI_HOME="${PULUMI_HOME:-$__pib_repo/.pulumi-home}"
  export PULUMI_SKIP_UPDATE_CHECK="${PULUMI_SKIP_UPDATE_CHECK:-true}"
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-true}"
  case "$PULUMI_BACKEND_URL" in
    file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; # the file backend wants the dir to exist
  esac
  mkdir -p "$PULUMI_HOME"
else
  echo "pulumi-env.sh: provisioning the Pulumi CLI failed (see messages above)" >&2
  false
fi
unset __pib_repo __pib_bin __pib_d
