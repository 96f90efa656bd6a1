// One row per device: single-device outputs and fleet record lines, with what each status,
// HRESULT, skip reason and Graph error code means and what to do about it.
import assert from "node:assert/strict";
import { tokenHash } from "../../provider/plan/fleet/record";
import { describeHresult } from "../../provider/plan/hresult";
import {
  explain,
  explainGraphError,
  explainHresult,
  explainSkip,
  statusOfCode,
} from "../../provider/report/explain";
import { readExport } from "../../provider/report/exported";
import { rowsOf } from "../../provider/report/rows";
import type { ReportRow } from "../../provider/report/types";
import { ERROR_CODES, hresultToInt32 } from "../../simulator/index";
import { exported, failedOutcome, fleet, guid, HASH, rec, secret, single } from "./report-fixtures";

/** Every HRESULT plan/hresult.ts knows. */
const KNOWN_HRESULTS = [
  "0x803100DA",
  "0x803100DB",
  "0x803100E1",
  "0x80310008",
  "0x80310059",
  "0x80070490",
];
const SKIP_REASONS = [
  "notWindows",
  "osTooOld",
  "notJoined",
  "notEncrypted",
  "multiSession",
  "noEntraDevice",
  "notFound",
];

function rows(...resources: Record<string, unknown>[]): ReportRow[] {
  return rowsOf(readExport(exported(...resources)).resources).rows;
}
const one = (...resources: Record<string, unknown>[]) => rows(...resources)[0]!;

describe("report: rows from single-device resources", () => {
  it("gives device id, name, resource, status, request time (to the second) and the token's hash", () => {
    const r = one(
      single("helpdesk", {
        managedDeviceId: guid(1),
        deviceName: "LAPTOP-0042",
        rotationToken: "INC-7",
        status: "done",
        actionState: "done",
      }),
    );
    assert.deepEqual(r, {
      deviceId: guid(1),
      deviceName: "LAPTOP-0042",
      resource: "helpdesk",
      resourceKind: "single",
      status: "done",
      at: "2026-11-20T09:30:00Z",
      atKind: "requested",
      token: tokenHash("INC-7"),
    });
  });

  for (const hex of KNOWN_HRESULTS) {
    it(`failed with ${hex}: the HRESULT, its meaning and the hint`, () => {
      const r = one(single("d", failedOutcome(Number.parseInt(hex, 16) | 0)));
      const info = describeHresult(Number.parseInt(hex, 16) | 0);
      assert.deepEqual(
        [r.status, r.detail, r.meaning, r.hint],
        ["failed", hex, info.meaning, info.hint],
      );
      assert.ok(r.meaning && r.hint);
    });
  }

  it("failed with an unknown HRESULT: the hex and how to look it up", () => {
    const r = one(single("d", failedOutcome(ERROR_CODES.keyCapReached)));
    assert.equal(r.detail, "0x80004005");
    assert.match(r.meaning!, /0x80004005/);
    assert.match(r.hint!, /certutil -error 0x80004005/);
  });

  it("failed without errorCode falls back to errorText's HRESULT", () => {
    const r = one(
      single("d", {
        status: "failed",
        errorText: "0x80310059 Another BitLocker operation is in progress",
      }),
    );
    assert.equal(r.detail, "0x80310059");
    assert.match(r.hint!, /Wait for encryption/);
  });

  it("keeps the hint the engine stored (e.g. the waitFor timeout) over the generic one", () => {
    const stored =
      "Not applied within 900s (the device applies it at its next check-in); run `pulumi refresh` to follow it";
    const r = one(single("d", { status: "pending", hint: stored }));
    assert.equal(r.hint, stored);
    assert.equal(one(single("d", { status: "pending" })).hint, explain("pending", undefined).hint);
  });

  it("adopted and never rotated: the resource's creation is the adoption time", () => {
    const adopted = {
      status: "adopted",
      adopted: true,
      rotationCount: 0,
      requestedAt: undefined,
    } as const;
    const r = one(single("d", adopted, { created: "2026-05-01T12:00:00.123Z" }));
    assert.deepEqual([r.status, r.at, r.atKind], ["adopted", "2026-05-01T12:00:00Z", "adopted"]);
    assert.equal(one(single("d", adopted)).at, undefined, "no time on record");
  });

  it("unverified: the unsent token and when it was sent, not the empty recorded token", () => {
    const r = one(
      single("d", {
        status: "unverified",
        rotationToken: "",
        requestedAt: undefined,
        unverifiedRequest: {
          token: "2027-Q1",
          sentAt: "2026-11-26T08:00:00.000Z",
          priorStart: "2026-10-01T00:00:00Z",
        },
      }),
    );
    assert.deepEqual(
      [r.at, r.token, r.detail],
      ["2026-11-26T08:00:00Z", tokenHash("2027-Q1"), undefined],
    );
    assert.match(r.hint!, /checks the device before sending/);
  });

  it("missing: the device is gone, remove it from the program", () => {
    const r = one(
      single("d", {
        status: "missing",
        hint: "The device no longer exists in Intune (retired or deleted). Remove it from the program to forget it.",
      }),
    );
    assert.match(r.hint!, /Remove it from the program/);
  });

  it("never shows a token, only its hash; a secret token is 'secret', an empty one '-'", () => {
    assert.equal(
      one(single("d", { rotationToken: "INC-4711 key read to j.doe" })).token,
      tokenHash("INC-4711 key read to j.doe"),
    );
    assert.equal(one(single("d", { rotationToken: secret() as never })).token, "secret");
    assert.equal(one(single("d", { rotationToken: "" })).token, "-");
  });

  it("warns and leaves out a resource whose device id is unreadable", () => {
    const { rows: r, warnings } = rowsOf(
      readExport(exported(single("hidden", { managedDeviceId: secret() as never }))).resources,
    );
    assert.deepEqual(r, []);
    assert.match(warnings[0]!, /hidden: managedDeviceId is a secret/);
  });
});

describe("report: rows from fleet resources", () => {
  it("parses each record line into a row; fleets have no device names", () => {
    const r = rows(
      fleet("windows-fleet", {
        [guid(1)]: rec("requested", "2026-11-20T09:30:00.000Z"),
        [guid(2)]: rec("failed", "2026-11-20T09:30:00Z", "0x80310008"),
      }),
    );
    assert.deepEqual(r[0], {
      deviceId: guid(1),
      resource: "windows-fleet",
      resourceKind: "fleet",
      status: "requested",
      at: "2026-11-20T09:30:00Z",
      atKind: "requested",
      token: HASH,
      meaning: explain("requested", undefined).meaning,
      hint: explain("requested", undefined).hint,
    });
    assert.equal(r[1]!.deviceName, undefined);
    assert.deepEqual(
      [r[1]!.status, r[1]!.detail, r[1]!.meaning],
      ["failed", "0x80310008", "BitLocker is not enabled on the drive"],
    );
  });

  it("explains each simulator errorCode and each known HRESULT recorded by a fleet", () => {
    const codes = [
      ...Object.values(ERROR_CODES),
      ...KNOWN_HRESULTS.map((h) => hresultToInt32(Number.parseInt(h, 16))),
    ];
    const records = Object.fromEntries(
      codes.map((c, i) => [
        guid(i + 1),
        rec("failed", "2026-11-20T09:30:00Z", describeHresult(c).hex),
      ]),
    );
    for (const [i, r] of rows(fleet("f", records)).entries()) {
      const info = describeHresult(codes[i]!);
      assert.equal(r.detail, info.hex);
      if (info.meaning) assert.deepEqual([r.meaning, r.hint], [info.meaning, info.hint]);
      else assert.match(r.hint!, /certutil/);
    }
  });

  for (const reason of SKIP_REASONS) {
    it(`skipped ${reason}: a sentence and what to do, timed as a decision`, () => {
      const r = one(fleet("f", { [guid(1)]: rec("skipped", "2026-11-20T09:30:00Z", reason) }));
      assert.deepEqual([r.status, r.detail, r.atKind], ["skipped", reason, "decided"]);
      assert.ok(r.meaning && !r.meaning.includes(reason) && r.hint, `${reason}: ${r.meaning}`);
    });
  }

  it("says what an unknown skip reason is without inventing a cause", () => {
    assert.deepEqual(explainSkip("newReason").meaning, "Skipped: newReason");
  });

  it("error records: Graph's code → what happened and what to do; no token", () => {
    const codes: [string, RegExp][] = [
      ["Forbidden", /Grant DeviceManagementManagedDevices\.ReadWrite\.All/],
      ["Unauthorized", /tenantId/],
      ["TooManyRequests", /retryBudgetSeconds/],
      ["ServiceUnavailable", /Transient/],
      ["NotSent", /Fix that failure/],
      ["BadRequest", /may not support/],
      ["ResourceNotFound", /Remove its id/],
      ["403", /Grant/],
    ];
    const records = Object.fromEntries(
      codes.map(([c], i) => [guid(i + 1), rec("error", "2026-11-20T09:30:00Z", c, "-")]),
    );
    const r = rows(fleet("f", records));
    for (const [i, [code, hint]] of codes.entries()) {
      assert.deepEqual(
        [r[i]!.status, r[i]!.detail, r[i]!.token, r[i]!.atKind],
        ["error", code, "-", "decided"],
      );
      assert.match(r[i]!.hint!, hint, code);
    }
    assert.match(r[0]!.meaning!, /Graph 403 Forbidden: the app lacks a permission/);
  });

  it("maps Graph codes to HTTP statuses the way the client names them", () => {
    assert.deepEqual(
      [
        "Forbidden",
        "TooManyRequests",
        "GatewayTimeout",
        "Http418",
        "404",
        "InvalidAuthenticationToken",
        "Nope",
      ].map(statusOfCode),
      [403, 429, 504, 418, 404, 401, undefined],
    );
    assert.match(explainGraphError("Nope").meaning!, /Graph error Nope/);
    assert.match(explainGraphError("Error").meaning!, /The request failed/);
  });

  it("unverified and missing records: their detail is bookkeeping, not shown as a cause", () => {
    const r = rows(
      fleet("f", {
        [guid(1)]: rec("unverified", "2026-11-20T09:30:00Z", "2026-10-01T00:00:00Z"),
        [guid(2)]: rec("missing", "2026-11-20T09:30:00Z", "notFound"),
      }),
    );
    assert.deepEqual(
      r.map((x) => [x.status, x.detail]),
      [
        ["unverified", undefined],
        ["missing", undefined],
      ],
    );
    assert.match(r[1]!.hint!, /Remove it from the program/);
  });

  it("adopted records are timed as adoptions", () => {
    assert.equal(
      one(fleet("f", { [guid(1)]: rec("adopted", "2026-06-01T00:00:00Z") })).atKind,
      "adopted",
    );
  });

  it("reads packed records (version 3) and id-keyed ones (versions 1, 2) alike", () => {
    const records = {
      [guid(3)]: rec("done", "2026-11-20T09:30:00Z"),
      [guid(1)]: rec("failed", "2026-11-20T09:31:00Z", "0x80310008"),
      [guid(2)]: rec("done", "2026-11-20T09:30:00Z"),
    };
    const packed = fleet("f", records);
    assert.equal(
      Object.keys((packed.outputs as { devices: object }).devices).length,
      2,
      "grouped by line",
    );
    const both = [packed, fleet("f", records, { form: "map" })].map((f) => rows(f));
    assert.deepEqual(both[0], both[1]);
    assert.deepEqual(
      both[0]!.map((r) => r.deviceId),
      [guid(1), guid(2), guid(3)],
    );
  });

  it("warns about unreadable packed records, keeping the rest", () => {
    const f = fleet("f", { [guid(1)]: rec("done", "2026-11-20T09:30:00Z") });
    Object.assign((f.outputs as { devices: object }).devices, {
      "done 2026-11-20T09:30:00Z x": 42,
    });
    const { rows: r, warnings } = rowsOf(readExport(exported(f)).resources);
    assert.deepEqual(
      r.map((x) => x.deviceId),
      [guid(1)],
    );
    assert.match(warnings[0]!, /f: 1 device record\(s\) could not be read/);
  });

  it("warns about unreadable record lines and secret device maps, keeping the rest", () => {
    const f = fleet("f", { [guid(1)]: rec("done", "2026-11-20T09:30:00Z") }, { form: "map" });
    (f.outputs as { devices: Record<string, unknown> }).devices[guid(2)] = "garbage";
    const hidden = fleet("g", {});
    (hidden.outputs as { devices: unknown }).devices = secret();
    const { rows: r, warnings } = rowsOf(readExport(exported(f, hidden)).resources);
    assert.deepEqual(
      r.map((x) => x.deviceId),
      [guid(1)],
    );
    assert.match(
      warnings[0]!,
      new RegExp(`f: 1 device record\\(s\\) could not be read \\(e\\.g\\. ${guid(2)}\\)`),
    );
    assert.match(warnings[1]!, /g: devices is a secret/);
  });

  it("an HRESULT may come as hex or as Graph's signed Int32", () => {
    assert.deepEqual(explainHresult("-2144272376"), explainHresult("0x80310008"));
    assert.deepEqual(explainHresult(-2144272376), explainHresult("0x80310008"));
  });
});
