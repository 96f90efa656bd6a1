// The provider's engine watchdog: which process it runs in, where the engine is, and that a
// real TCP listener going away (the CLI killed) is noticed at once, while a connection the
// engine merely closes (gRPC's handshake timeout) is not taken for a dead engine.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import {
  EngineWatchdog,
  engineAddressFromArgs,
  isDynamicProviderHost,
} from "../../provider/engine/engineWatchdog";

function listen(onConnection: (s: Socket) => void = () => {}): Promise<Server> {
  const server = createServer(onConnection);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
const portOf = (s: Server) => (s.address() as { port: number }).port;
const closeServer = (s: Server, sockets: Socket[]) =>
  new Promise<void>((resolve) => {
    for (const c of sockets) c.destroy();
    s.close(() => resolve());
  });

describe("engine watchdog", () => {
  it("runs only in Pulumi's Node dynamic-provider host", () => {
    for (const f of [
      "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js",
      "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider",
      "C:\\p\\node_modules\\@pulumi\\pulumi\\cmd\\dynamic-provider\\index.js",
    ]) {
      assert.equal(isDynamicProviderHost(f), true, f);
    }
    for (const f of [
      undefined,
      "/p/node_modules/@pulumi/pulumi/cmd/run/index.js", // a Pulumi program
      "/p/node_modules/mocha/bin/mocha.js",
      "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider/other.js",
    ]) {
      assert.equal(isDynamicProviderHost(f), false, String(f));
    }
  });

  it("finds the engine address after the CLI's logging and tracing flags", () => {
    assert.deepEqual(engineAddressFromArgs(["127.0.0.1:40123"]), {
      host: "127.0.0.1",
      port: 40123,
    });
    assert.deepEqual(
      engineAddressFromArgs(["--logtostderr", "-v=9", "--tracing", "127.0.0.1:9", "127.0.0.1:5"]),
      { host: "127.0.0.1", port: 5 },
    );
    assert.equal(engineAddressFromArgs([]), undefined);
    assert.equal(engineAddressFromArgs(["engine"]), undefined);
    assert.equal(engineAddressFromArgs(["10.0.0.1:80"]), undefined, "only loopback");
    assert.equal(engineAddressFromArgs(["127.0.0.1:70000"]), undefined);
  });

  it("reports the engine gone within a second of its listener closing", async () => {
    const sockets: Socket[] = [];
    const server = await listen((s) => sockets.push(s));
    let gone: { why: string; at: number } | undefined;
    const w = new EngineWatchdog({
      address: { host: "127.0.0.1", port: portOf(server) },
      onGone: (why) => (gone = { why, at: Date.now() }),
    });
    try {
      await until(() => sockets.length === 1, "the watchdog's connection");
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(gone, undefined, "alive engine: nothing reported");
      const closedAt = Date.now();
      await closeServer(server, sockets);
      await until(() => gone !== undefined, "the report");
      assert.match(gone!.why, /refused the connection/);
      assert.ok(gone!.at - closedAt < 1000, `${gone!.at - closedAt} ms`);
    } finally {
      w.stop();
    }
  });

  it("reconnects, and reports nothing, when the engine only closes the connection", async () => {
    let connections = 0;
    // Like gRPC's server after its handshake timeout: accept, then close.
    const server = await listen((s) => {
      connections++;
      s.destroy();
    });
    let gone: string | undefined;
    const w = new EngineWatchdog({
      address: { host: "127.0.0.1", port: portOf(server) },
      onGone: (why) => (gone = why),
      intervalMs: 50,
    });
    try {
      // Over 500 ms: connected again and again, paced by the interval (not a busy loop).
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(gone, undefined);
      assert.ok(connections >= 3 && connections <= 15, `${connections} connections`);
    } finally {
      w.stop();
      await closeServer(server, []);
    }
  });
});

async function until(predicate: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
