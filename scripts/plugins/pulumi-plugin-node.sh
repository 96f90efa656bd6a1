# pulumi-intune-bitlocker: sourced by the plugin wrappers in this directory.
#
# Picks the Node.js that runs Pulumi code for the project the CLI started us in ($PWD is the
# Pulumi project directory). Why not `node` on PATH: a system Node may be older than the
# >= 22 that @pulumi/pulumi 3.250+ requires, while the workspace ships Node 24 as the npm
# package `node` (node_modules/.bin/node), found by walking up like Node's module resolution.
pulumi_plugin_node() {
  local d="$PWD" node=""
  while :; do
    if [ -x "$d/node_modules/.bin/node" ]; then node="$d/node_modules/.bin/node"; break; fi
    [ "$d" = / ] && break
    d="$(dirname "$d")"
  done
  [ -n "$node" ] || node="$(command -v node || true)"
  if [ -z "$node" ]; then
    echo "pulumi plugin: no node found (neither node_modules/.bin/node above $PWD nor on PATH)" >&2
    return 1
  fi
  local major
  major="$("$node" -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 22 ]; then
    echo "pulumi plugin: $node is Node $major; @pulumi/pulumi needs Node >= 22 (npm install in the project)" >&2
    return 1
  fi
  echo "$node"
}
