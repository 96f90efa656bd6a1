import assert from "node:assert/strict";
import {
  statusChanges,
  summarizeRefresh,
  summarizeSingleRefresh,
} from "../../provider/plan/fleet/refreshSummary";

const id = (n: number) => `0b7c5a2e-1111-4a2b-9c3d-${String(n).padStart(12, "0")}`;
const line = (status: string, detail?: string) =>
  `${status} 2026-11-27T10:00:00Z 3fa9c1e2b4d5${detail ? ` ${detail}` : ""}`;

/** 33 requested → 29 done, 2 failed, 2 pending; plus 4 adopted that stay adopted. */
function fleet() {
  const before: Record<string, string> = {};
  const after: Record<string, string> = {};
  for (let n = 1; n <= 33; n++) {
    before[id(n)] = line("requested");
    after[id(n)] =
      n <= 29 ? line("done") : n <= 31 ? line("failed", "0x80310008") : line("pending");
  }
  for (let n = 34; n <= 37; n++) before[id(n)] = after[id(n)] = line("adopted");
  return { before, after };
}

describe("plan/fleet refreshSummary: which statuses a refresh changed", () => {
  it("groups the changes by old and new status, in counts and with the devices", () => {
    const { before, after } = fleet();
    const changes = statusChanges(before, after);
    assert.deepEqual(
      changes.map((c) => [c.from, c.to, c.ids.length]),
      [
        ["requested", "done", 29],
        ["requested", "failed", 2],
        ["requested", "pending", 2],
      ],
    );
    assert.deepEqual(changes[1]!.ids, [id(30), id(31)]);
    assert.deepEqual(changes[1]!.details, ["0x80310008", "0x80310008"]);
  });

  it("says 'requested 33 → done 29, failed 2, pending 2', names the first devices, and the counts now", () => {
    const { before, after } = fleet();
    const s = summarizeRefresh("desktops", before, after);
    assert.match(
      s,
      /^fleet desktops refreshed: 33 status change\(s\): requested 33 → done 29, failed 2, pending 2 \[/,
    );
    assert.ok(s.includes(`requested → failed: ${id(30)} (0x80310008), ${id(31)} (0x80310008)`), s);
    assert.ok(s.includes(`requested → pending: ${id(32)}, ${id(33)}`), s);
    // The first ten of the 29, then how many more.
    assert.ok(s.includes(`requested → done: ${id(1)}, `), s);
    assert.ok(s.includes(`${id(10)}, … (+19)`), s);
    assert.ok(!s.includes(id(11) + ","), "only the first ten of a change are named");
    assert.match(s, /; now done 29, failed 2, pending 2, adopted 4$/);
    assert.ok(!s.includes(id(34)), "an unchanged device is not named");
  });

  it("one clause per old status: a done that becomes escrowed is its own", () => {
    const before = { [id(1)]: line("requested"), [id(2)]: line("done") };
    const after = { [id(1)]: line("done"), [id(2)]: line("escrowed") };
    assert.match(
      summarizeRefresh("f", before, after),
      /: 2 status change\(s\): done 1 → escrowed 1; requested 1 → done 1 \[/,
    );
  });

  it("names statuses in a fixed order (outcomes first), whatever the order of the device ids", () => {
    const before = {
      [id(1)]: line("requested"),
      [id(2)]: line("requested"),
      [id(3)]: line("requested"),
    };
    const after = {
      [id(1)]: line("pending"),
      [id(2)]: line("failed", "0x1"),
      [id(3)]: line("done"),
    };
    assert.match(
      summarizeRefresh("f", before, after),
      /requested 3 → done 1, failed 1, pending 1 \[requested → done: .*; requested → failed: .*; requested → pending: .*\]; now done 1, failed 1, pending 1$/,
    );
  });

  it("no change: says so, with the counts", () => {
    const { after } = fleet();
    assert.equal(
      summarizeRefresh("f", after, after),
      "fleet f refreshed: no status changed; now done 29, failed 2, pending 2, adopted 4",
    );
    assert.equal(
      summarizeRefresh("f", {}, {}),
      "fleet f refreshed: no status changed; now no devices",
    );
  });

  it("a device new in the after map (not refreshed) or an unreadable line is not a change", () => {
    const before = { [id(1)]: "garbage" };
    const after = { [id(1)]: line("done"), [id(2)]: line("done") };
    assert.deepEqual(statusChanges(before, after), []);
  });

  it("one device: the change with the error and the hint, or that nothing changed", () => {
    assert.equal(
      summarizeSingleRefresh(
        id(1),
        { status: "requested" },
        {
          status: "failed",
          deviceName: "LAPTOP-1",
          errorText: "0x80310008 BitLocker is not enabled on the drive",
          hint: "Enable BitLocker, then change the token",
        },
      ),
      `device ${id(1)} (LAPTOP-1) refreshed: requested → failed (0x80310008 BitLocker is not enabled on the drive); Enable BitLocker, then change the token`,
    );
    assert.equal(
      summarizeSingleRefresh(id(1), { status: "requested" }, { status: "done", hint: "x" }),
      `device ${id(1)} refreshed: requested → done`,
    );
    assert.equal(
      summarizeSingleRefresh(id(1), { status: "pending" }, { status: "pending", deviceName: "L" }),
      `device ${id(1)} (L) refreshed: no status change (pending)`,
    );
  });
});
