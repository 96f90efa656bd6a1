// pulumi-intune-bitlocker: a Node.js implementation of Pulumi's `nodejs` language host.
//
// Why: the official host is a Go module (sdk/nodejs/cmd/pulumi-language-nodejs/v3) that the
// Go module proxy does not serve, so on machines without internet `pulumi up` on a Node
// project has no language host. This file does what the official host does for
// preview/up/refresh/destroy (read from its main.go): it serves the LanguageRuntime gRPC
// service and, for Run, starts `node <project>/node_modules/@pulumi/pulumi/cmd/run <flags>
// <entry point>` with the same flags and environment (PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS,
// PULUMI_NODEJS_TYPESCRIPT, PULUMI_NODEJS_TSCONFIG_PATH). cmd/run itself registers ts-node for
// TypeScript programs and exports PULUMI_NODEJS_MONITOR/ENGINE/PROJECT/STACK/... from the flags.
//
// Differences from the official host, deliberately:
// - no monitor proxy and no synchronous-invoke pipes (`--sync`): the SDK talks to the engine's
//   monitor directly; @pulumi/pulumi 3.x only uses the pipes for deprecated sync invokes;
// - InstallDependencies does not run npm (the workspace is installed with `npm ci`);
// - no code generation (GenerateProgram/Project/Package, Pack, Link, Template): UNIMPLEMENTED.
//
// Protocol (sdk/go/common/resource/plugin): the CLI starts us in the project directory with
// optional logging/tracing flags followed by the engine address as the last argument, reads
// the port from our first line of stdout, and shows everything after it as program output.
"use strict";

const { Buffer } = require("node:buffer");
const childProcess = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

// ---- arguments: [-v=N] [--logtostderr] [--logflow] [--tracing URL] <engine address> --------
let engineAddress = "";
let tracing = "";
{
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const m = /^--?tracing(?:=(.*))?$/.exec(a);
    if (m) {
      tracing = m[1] !== undefined ? m[1] : (args[++i] ?? "");
    } else if (!a.startsWith("-")) {
      engineAddress = a;
    }
  }
}

// ---- the SDK of the project: gRPC and the generated protos come from it -------------------
function fromDir(dir) {
  return createRequire(path.join(dir, "__pulumi_language_nodejs__.js"));
}
function fail(message) {
  process.stderr.write(`pulumi-language-nodejs: ${message}\n`);
  process.exit(1);
}
let sdkDir;
try {
  sdkDir = path.dirname(fromDir(process.cwd()).resolve("@pulumi/pulumi/package.json"));
} catch (e) {
  fail(`@pulumi/pulumi is not installed for ${process.cwd()}; run npm install (${e.message})`);
}
const sdk = fromDir(sdkDir);
const grpc = sdk("@grpc/grpc-js");
const langrpc = sdk("./proto/language_grpc_pb.js");
const langproto = sdk("./proto/language_pb.js");
const plugproto = sdk("./proto/plugin_pb.js");
const emptyproto = sdk("google-protobuf/google/protobuf/empty_pb.js");
const sdkVersion = sdk("./package.json").version;

// ---- helpers -------------------------------------------------------------------------------
const running = new Set(); // child programs, so Cancel and our own death reach them

/** Plugins declared by packages in <dir>/node_modules (`"pulumi": {"resource": true}`). */
function requiredPackages(dir) {
  const found = [];
  const nm = path.join(dir, "node_modules");
  const pkgDirs = [];
  for (const name of safeReaddir(nm)) {
    if (name.startsWith("@")) {
      for (const sub of safeReaddir(path.join(nm, name))) pkgDirs.push(path.join(nm, name, sub));
    } else if (!name.startsWith(".")) {
      pkgDirs.push(path.join(nm, name));
    }
  }
  for (const d of pkgDirs) {
    let pkg;
    try {
      pkg = JSON.parse(fs.readFileSync(path.join(d, "package.json"), "utf8"));
    } catch {
      continue;
    }
    const p = pkg.pulumi;
    if (!p || p.resource !== true) continue;
    let name = p.name;
    if (!name && typeof pkg.name === "string" && pkg.name.startsWith("@pulumi/"))
      name = pkg.name.slice(8);
    if (!name) continue;
    const version = String(p.version || pkg.version || "");
    found.push({
      name,
      version: version.startsWith("v") ? version : `v${version}`,
      server: p.server || "",
    });
  }
  return found;
}
/**
 * The plugins of <dir>/node_modules as `Message` (PluginDependency for GetRequiredPlugins,
 * PackageDependency for GetRequiredPackages: the same fields).
 */
function dependencies(dir, Message) {
  return requiredPackages(dir).map((p) => {
    const d = new Message();
    d.setName(p.name);
    d.setKind("resource");
    d.setVersion(p.version);
    d.setServer(p.server);
    return d;
  });
}
function safeReaddir(dir) {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Config keys as the official host passes them: `ns:name` becomes `ns:config:name`. */
function transformConfig(configMap) {
  const out = {};
  for (const [k, v] of configMap.entries()) {
    const i = k.indexOf(":");
    if (i < 0 || /^[^:]+:config:/.test(k)) out[k] = v;
    else out[`${k.slice(0, i)}:config:${k.slice(i + 1)}`] = v;
  }
  return out;
}

/** Minimal shell-like split for the `nodeargs` runtime option (quotes, no escapes). */
function splitArgs(s) {
  const out = [];
  for (const m of String(s || "").matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g))
    out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function programInfo(req) {
  const info = req.getInfo();
  const options = info && info.getOptions() ? info.getOptions().toJavaScript() : {};
  return {
    rootDirectory: (info && info.getRootDirectory()) || "",
    programDirectory: (info && info.getProgramDirectory()) || req.getPwd() || process.cwd(),
    entryPoint: (info && info.getEntryPoint()) || req.getProgram() || ".",
    options,
  };
}

// ---- the LanguageRuntime service -----------------------------------------------------------
const service = {
  handshake(call, cb) {
    // Only sent when the CLI attaches to an already running host; keep the engine address.
    engineAddress = call.request.getEngineAddress() || engineAddress;
    cb(null, new langproto.LanguageHandshakeResponse());
  },

  getRequiredPlugins(call, cb) {
    const resp = new langproto.GetRequiredPluginsResponse();
    const dir =
      call.request.getInfo()?.getProgramDirectory() || call.request.getProgram() || process.cwd();
    resp.setPluginsList(dependencies(dir, plugproto.PluginDependency));
    cb(null, resp);
  },

  getRequiredPackages(call, cb) {
    const resp = new langproto.GetRequiredPackagesResponse();
    const dir = call.request.getInfo()?.getProgramDirectory() || process.cwd();
    resp.setPackagesList(dependencies(dir, plugproto.PackageDependency));
    cb(null, resp);
  },

  run(call, cb) {
    const req = call.request;
    const info = programInfo(req);
    const resp = new langproto.RunResponse();
    let runPath = process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run";
    try {
      runPath = fromDir(info.programDirectory).resolve(runPath);
    } catch {
      resp.setError(
        "It looks like the Pulumi SDK has not been installed. Have you run npm install?",
      );
      return cb(null, resp);
    }
    // Same flags, same order as constructArguments in the official host.
    const args = [runPath];
    const add = (k, v) => {
      if (v !== undefined && v !== null && v !== "") args.push(`--${k}`, String(v));
    };
    add("monitor", req.getMonitorAddress());
    add("engine", engineAddress);
    add("organization", req.getOrganization());
    add("project", req.getProject());
    add("root-directory", info.rootDirectory);
    add("stack", req.getStack());
    add("pwd", info.programDirectory);
    if (req.getDryrun()) args.push("--dry-run");
    add("parallel", req.getParallel());
    add("tracing", tracing);
    args.push(info.entryPoint, ...req.getArgsList());

    const env = { ...process.env };
    env.PULUMI_CONFIG = JSON.stringify(transformConfig(req.getConfigMap()));
    env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(req.getConfigsecretkeysList() || []);
    if (info.options.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true"; // default true
    if (typeof info.options.tsconfig === "string" && info.options.tsconfig) {
      env.PULUMI_NODEJS_TSCONFIG_PATH = info.options.tsconfig;
    }
    const nodeArgs = splitArgs(info.options.nodeargs);

    // stdout/stderr are ours, which the CLI reads: program output shows up as in the official host.
    const child = childProcess.spawn(process.execPath, [...nodeArgs, ...args], {
      cwd: info.programDirectory,
      env,
      stdio: ["ignore", "inherit", "inherit"],
    });
    running.add(child);
    child.on("error", (err) => {
      running.delete(child);
      resp.setError(`Problem executing program (could not run language executor): ${err.message}`);
      cb(null, resp);
    });
    child.on("exit", (code, signal) => {
      running.delete(child);
      if (code === 32) {
        // The program already reported an actionable error to the user.
        resp.setBail(true);
      } else if (signal) {
        resp.setError(`Program exited unexpectedly: signal ${signal}`);
      } else if (code !== 0) {
        resp.setError(`Program exited with non-zero exit code: ${code}`);
      }
      cb(null, resp);
    });
  },

  getPluginInfo(call, cb) {
    const resp = new plugproto.PluginInfo();
    resp.setVersion(sdkVersion);
    cb(null, resp);
  },

  installDependencies(call) {
    const resp = new langproto.InstallDependenciesResponse();
    resp.setStdout(
      Buffer.from(
        "pulumi-language-nodejs (offline shim): dependencies are not installed automatically; " +
          "run `npm ci` in the workspace.\n",
      ),
    );
    call.write(resp);
    call.end();
  },

  runtimeOptionsPrompts(call, cb) {
    cb(null, new langproto.RuntimeOptionsResponse());
  },

  about(call, cb) {
    const resp = new langproto.AboutResponse();
    resp.setExecutable(process.execPath);
    resp.setVersion(process.versions.node);
    resp.getMetadataMap().set("host", "pulumi-intune-bitlocker offline shim");
    cb(null, resp);
  },

  getProgramDependencies(call, cb) {
    // Direct dependencies of the project's package.json with their installed versions.
    const dir = call.request.getInfo()?.getProgramDirectory() || process.cwd();
    const resp = new langproto.GetProgramDependenciesResponse();
    const deps = [];
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      const names = Object.keys({ ...(pkg.dependencies || {}), ...(pkg.devDependencies || {}) });
      for (const name of names.sort()) {
        let version = "";
        try {
          version = JSON.parse(
            fs.readFileSync(fromDir(dir).resolve(`${name}/package.json`), "utf8"),
          ).version;
        } catch {
          continue; // not installed or not resolvable through its exports map
        }
        const d = new langproto.DependencyInfo();
        d.setName(name);
        d.setVersion(version);
        deps.push(d);
      }
    } catch {
      // no package.json: no dependencies to report
    }
    resp.setDependenciesList(deps);
    cb(null, resp);
  },

  cancel(call, cb) {
    for (const child of running) child.kill("SIGINT");
    cb(null, new emptyproto.Empty());
  },
};

// ---- serve ---------------------------------------------------------------------------------
const server = new grpc.Server({
  "grpc.max_receive_message_length": 1024 * 1024 * 400,
});
server.addService(langrpc.LanguageRuntimeService, service);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) fail(`could not start the gRPC server: ${err.message}`);
  // The CLI reads this first line to connect.
  process.stdout.write(`${port}\n`);
});

// The CLI keeps our stdin open as a pipe: EOF means it is gone (exited or was killed). Take
// the program with us rather than leave it orphaned, as the official host's health check does.
function shutdown(signal) {
  for (const child of running) child.kill(signal);
  server.forceShutdown();
  process.exit(0);
}
process.stdin.on("end", () => shutdown("SIGKILL"));
process.stdin.on("error", () => shutdown("SIGKILL"));
process.stdin.resume();
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));
