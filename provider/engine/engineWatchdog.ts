// Stops the dynamic-provider process when the Pulumi CLI that started it is gone.
//
// The CLI starts the provider host (`pulumi-resource-pulumi-nodejs` → node running
// @pulumi/pulumi/cmd/dynamic-provider) in a process group of its own, so a runner that kills
// the job's process group (`kill -9 -- -PGID`) leaves the provider running, re-parented to
// PID 1: it would go on rotating devices whose results can never reach state, and the next
// run would send them again. Nothing in the host notices (its Cancel RPC is a no-op, and a
// gRPC server keeps the process alive on its own), so we watch for two signs:
//   - our parent process changed (the CLI execs the host directly: ppid was the CLI);
//   - the engine's RPC address, the host's first argument, refuses connections (this also
//     covers Pulumi's own plugin script, which runs node as a child of `sh`: `sh` survives
//     the kill, so the parent never changes).
// Then the only thing that guarantees no later request is to exit, at once.
import { connect, type Socket } from "node:net";

/** How often the parent is checked and a lost engine connection retried. */
const WATCH_INTERVAL_MS = 250;

export interface EngineAddress {
  host: string;
  port: number;
}

/** True when `mainFile` (require.main.filename) is Pulumi's Node dynamic-provider host. */
export function isDynamicProviderHost(mainFile: string | undefined): boolean {
  return (
    mainFile !== undefined &&
    /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]dynamic-provider([\\/]index\.js)?$/.test(mainFile)
  );
}

/**
 * The engine address among the host's arguments. The CLI passes `127.0.0.1:<port>`, possibly
 * after logging flags (`--logtostderr`, `-v=9`, `--tracing <endpoint>`; see Pulumi's
 * buildPluginArguments); the host itself only requires that some argument is given.
 */
export function engineAddressFromArgs(args: readonly string[]): EngineAddress | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--tracing") {
      i++; // its value is an endpoint of the tracing collector, not the engine
      continue;
    }
    if (a.startsWith("-")) continue;
    const m = /^(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$/.exec(a);
    if (!m) continue;
    const port = Number(m[2]);
    if (port < 1 || port > 65535) continue;
    return { host: m[1] === "[::1]" ? "::1" : m[1]!, port };
  }
  return undefined;
}

export interface WatchdogOptions {
  address: EngineAddress | undefined;
  /** Called once, when the engine is gone; must not return (the default exits the process). */
  onGone: (why: string) => void;
  intervalMs?: number;
}

/**
 * Watches the parent process and a connection to the engine. Holding one idle TCP connection
 * makes a dead engine show at once (the kernel closes it); the engine's gRPC server may also
 * close it after its handshake timeout, so a closed connection is only a reason to connect
 * again: "connection refused" on that address is the proof. Timers and socket are unref'd,
 * so the watchdog never keeps the process alive.
 */
export class EngineWatchdog {
  private readonly parent = process.ppid;
  private readonly timer: NodeJS.Timeout;
  private socket: Socket | undefined;
  private lastConnect = 0;
  private stopped = false;

  constructor(private readonly opts: WatchdogOptions) {
    const interval = opts.intervalMs ?? WATCH_INTERVAL_MS;
    this.timer = setInterval(() => this.check(), interval);
    this.timer.unref();
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.socket?.destroy();
  }

  private check(): void {
    if (this.stopped) return;
    if (process.ppid !== this.parent) {
      this.gone(`its parent process (pid ${this.parent}) exited`);
      return;
    }
    if (!this.socket) this.connect();
  }

  private connect(): void {
    const address = this.opts.address;
    if (this.stopped || !address || this.socket) return;
    // A server that accepted and closed at once must not make us spin.
    const interval = this.opts.intervalMs ?? WATCH_INTERVAL_MS;
    if (Date.now() - this.lastConnect < interval) return;
    this.lastConnect = Date.now();
    const socket = connect({ host: address.host, port: address.port });
    this.socket = socket;
    socket.unref();
    socket.setNoDelay(true);
    socket.on("data", () => {}); // the engine's HTTP/2 settings: not for us
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED") {
        this.gone(`its engine at ${address.host}:${address.port} refused the connection`);
      }
    });
    socket.on("close", () => {
      if (this.socket === socket) this.socket = undefined;
      // Connect again now: refused means gone; the next check retries anything else.
      if (!this.stopped) setImmediate(() => this.connect());
    });
  }

  private gone(why: string): void {
    if (this.stopped) return;
    this.stop();
    this.opts.onGone(why);
  }
}

let started: EngineWatchdog | undefined;

/**
 * Starts the watchdog once per process, and only in Pulumi's dynamic-provider host: the
 * engine modules are also loaded by Pulumi programs, tests and tools, which have no engine.
 */
export function watchEngine(): void {
  if (started || !isDynamicProviderHost(require.main?.filename)) return;
  started = new EngineWatchdog({
    address: engineAddressFromArgs(process.argv.slice(2)),
    onGone: exitNow,
  });
}

function exitNow(why: string): never {
  try {
    process.stderr.write(
      `[bitlocker] the Pulumi CLI that started this provider is gone (${why}): ` +
        "stopping now, so that no rotation is sent that no run can record. " +
        "Run `pulumi up` again: it checks each device before sending.\n",
    );
  } catch {
    // the CLI's end of stderr is gone too
  }
  process.exit(1);
}
