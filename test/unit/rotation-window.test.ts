import assert from "node:assert/strict";
import fc from "fast-check";
import {
  RotationWindowError,
  rotationWindow,
  rotationWindowBounds,
} from "../../provider/plan/rotationWindow";

const Q = { every: "90d", anchor: "2026-01-01" };

describe("plan: rotationWindow (a token from the calendar)", () => {
  it("names the window by its start date: 90 days from 2026-01-01 is 2026-04-01", () => {
    assert.equal(rotationWindow({ ...Q, now: "2026-04-01T00:00:00Z" }), "window-2026-04-01");
    assert.equal(rotationWindow({ ...Q, now: "2026-05-15T12:00:00Z" }), "window-2026-04-01");
    assert.equal(rotationWindow({ ...Q, now: "2026-01-01" }), "window-2026-01-01");
  });

  it("changes exactly at the boundary (start inclusive, end exclusive)", () => {
    assert.equal(rotationWindow({ ...Q, now: "2026-03-31T23:59:59.999Z" }), "window-2026-01-01");
    assert.equal(rotationWindow({ ...Q, now: "2026-04-01T00:00:00.000Z" }), "window-2026-04-01");
    const w = rotationWindowBounds({ ...Q, now: "2026-04-01T00:00:00Z" });
    assert.equal(w.start.toISOString(), "2026-04-01T00:00:00.000Z");
    assert.equal(w.end.toISOString(), "2026-06-30T00:00:00.000Z");
    assert.equal(w.index, 1);
    assert.equal(rotationWindow({ ...Q, now: w.end }), "window-2026-06-30");
    assert.equal(rotationWindow({ ...Q, now: w.end.getTime() - 1 }), "window-2026-04-01");
  });

  it("reads everything in UTC: an offset moves the moment, not the window arithmetic", () => {
    // 2026-03-31 23:30 in New York is 2026-04-01 04:30 UTC: the new window.
    assert.equal(rotationWindow({ ...Q, now: "2026-03-31T23:30:00-04:00" }), "window-2026-04-01");
    // 2026-04-01 01:00 in Berlin (+02:00) is 2026-03-31 23:00 UTC: still the old window.
    assert.equal(rotationWindow({ ...Q, now: "2026-04-01T01:00:00+02:00" }), "window-2026-01-01");
    // A Date is an instant whatever the machine's TZ.
    assert.equal(
      rotationWindow({ ...Q, now: new Date(Date.UTC(2026, 3, 1)) }),
      "window-2026-04-01",
    );
  });

  it("refuses a timestamp without a zone, which each runner would read differently", () => {
    assert.throws(
      () => rotationWindow({ ...Q, now: "2026-04-01T00:00:00" }),
      /no time zone; add "Z"/,
    );
  });

  it("is stable across daylight-saving changes (days are 24 h of UTC)", () => {
    // Europe's 2026 switch is on 2026-03-29; a 1-day window still starts at midnight UTC.
    const day = { every: "1d", anchor: "2026-03-01" };
    assert.equal(rotationWindow({ ...day, now: "2026-03-29T00:30:00Z" }), "window-2026-03-29");
    assert.equal(rotationWindow({ ...day, now: "2026-03-30T00:00:00Z" }), "window-2026-03-30");
  });

  it("counts weeks as 7 days and years as 12 months", () => {
    assert.equal(
      rotationWindow({ every: "2w", anchor: "2026-01-05", now: "2026-01-19T00:00:00Z" }),
      "window-2026-01-19",
    );
    assert.equal(
      rotationWindow({ every: "2w", anchor: "2026-01-05", now: "2026-01-18T23:59:59Z" }),
      "window-2026-01-05",
    );
    assert.equal(
      rotationWindow({ every: "1y", anchor: "2024-02-29", now: "2025-03-01" }),
      "window-2025-02-28",
    );
    assert.equal(
      rotationWindow({ every: "1y", anchor: "2024-02-29", now: "2028-02-29" }),
      "window-2028-02-29",
    );
  });

  it("months are calendar months, not 30 days, and keep the anchor's day (clamped)", () => {
    const q = { every: "3mo", anchor: "2026-01-01" };
    assert.equal(rotationWindow({ ...q, now: "2026-03-31T23:59:59Z" }), "window-2026-01-01");
    assert.equal(rotationWindow({ ...q, now: "2026-04-01" }), "window-2026-04-01");
    assert.equal(rotationWindow({ ...q, now: "2026-12-31" }), "window-2026-10-01");
    // "90d" and "3mo" differ: 90 days from Jan 1 is Apr 1, but from Apr 1 it is Jun 30.
    assert.equal(rotationWindow({ ...q, now: "2026-06-30" }), "window-2026-04-01");
    assert.equal(rotationWindow({ ...Q, now: "2026-06-30" }), "window-2026-06-30");

    const monthEnd = { every: "1mo", anchor: "2026-01-31" };
    assert.equal(rotationWindow({ ...monthEnd, now: "2026-02-27" }), "window-2026-01-31");
    assert.equal(rotationWindow({ ...monthEnd, now: "2026-02-28" }), "window-2026-02-28");
    assert.equal(rotationWindow({ ...monthEnd, now: "2026-03-30" }), "window-2026-02-28");
    // The day comes from the anchor, not from the previous (clamped) window.
    assert.equal(rotationWindow({ ...monthEnd, now: "2026-03-31" }), "window-2026-03-31");
    assert.equal(rotationWindow({ ...monthEnd, now: "2026-05-01" }), "window-2026-04-30");
    const feb = rotationWindowBounds({ ...monthEnd, now: "2026-02-28T10:00:00Z" });
    assert.equal(feb.end.toISOString(), "2026-03-31T00:00:00.000Z");
  });

  it("repeats the windows before the anchor (the anchor fixes their phase)", () => {
    const before = rotationWindowBounds({ ...Q, now: "2025-12-31T23:59:59Z" });
    assert.equal(before.token, "window-2025-10-03");
    assert.equal(before.index, -1);
    assert.equal(before.end.toISOString(), "2026-01-01T00:00:00.000Z");
    assert.equal(
      rotationWindow({ every: "1mo", anchor: "2026-03-31", now: "2026-02-28T12:00:00Z" }),
      "window-2026-02-28",
    );
    assert.equal(
      rotationWindow({ every: "1mo", anchor: "2026-03-31", now: "2026-02-27T12:00:00Z" }),
      "window-2026-01-31",
    );
  });

  it("takes a prefix", () => {
    assert.equal(rotationWindow({ ...Q, now: "2026-04-02", prefix: "q-" }), "q-2026-04-01");
    assert.equal(rotationWindow({ ...Q, now: "2026-04-02", prefix: "" }), "2026-04-01");
  });

  it("defaults now to the current time", () => {
    const w = rotationWindowBounds({ every: "1d", anchor: "2026-01-01" });
    assert.ok(w.start.getTime() <= Date.now() && Date.now() < w.end.getTime());
  });

  it("rejects invalid input with a message that says what is expected", () => {
    const bad: [Partial<Parameters<typeof rotationWindow>[0]>, RegExp][] = [
      [{ every: "90" }, /every: '90' is not "<n>d" \(days\)/],
      [{ every: "0d" }, /every: '0d' is not/],
      [{ every: "-7d" }, /is not/],
      [{ every: "1.5d" }, /is not/],
      [{ every: "3m" }, /"m" is ambiguous: write "3mo" for months/],
      [{ every: "P90D" }, /is not/],
      [{ every: "200y" }, /longer than 100 years/],
      [{ every: "40000d" }, /longer than 100 years/],
      [{ every: 90 as unknown as string }, /every must be a string/],
      [{ anchor: "2026-02-30" }, /anchor: 2026-02-30 is not a date/],
      [{ anchor: "2026-1-1" }, /anchor must be a calendar date "YYYY-MM-DD"/],
      [{ anchor: "2026-01-01T00:00:00Z" }, /anchor must be a calendar date/],
      [{ anchor: undefined as unknown as string }, /anchor must be a calendar date/],
      [{ now: "yesterday" }, /now: 'yesterday' is not "YYYY-MM-DD" or an ISO 8601 timestamp/],
      [{ now: "2026-02-30T00:00:00Z" }, /now: 2026-02-30 is not a date/],
      [{ now: "2026-13-01" }, /now: 2026-13-01 is not a date/],
      [{ now: Number.NaN }, /is not a time/],
      [{ now: new Date("nonsense") }, /is not a time/],
      [{ now: {} as unknown as string }, /now must be a Date/],
    ];
    for (const [override, message] of bad) {
      assert.throws(
        () => rotationWindow({ ...Q, ...override } as Parameters<typeof rotationWindow>[0]),
        (e: unknown) => e instanceof RotationWindowError && message.test(e.message),
        JSON.stringify(override),
      );
    }
    assert.throws(
      () => rotationWindow(undefined as unknown as Parameters<typeof rotationWindow>[0]),
      RotationWindowError,
    );
  });

  it("property: now lies in [start, end), and the token changes exactly once per window", () => {
    const every = fc.oneof(
      fc.integer({ min: 1, max: 400 }).map((n) => `${n}d`),
      fc.integer({ min: 1, max: 52 }).map((n) => `${n}w`),
      fc.integer({ min: 1, max: 24 }).map((n) => `${n}mo`),
      fc.integer({ min: 1, max: 3 }).map((n) => `${n}y`),
    );
    const day = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2060, 0, 1) });
    fc.assert(
      fc.property(every, day, day, (e, anchorMs, nowMs) => {
        const anchor = new Date(anchorMs).toISOString().slice(0, 10);
        const w = rotationWindowBounds({ every: e, anchor, now: nowMs });
        assert.ok(w.start.getTime() <= nowMs && nowMs < w.end.getTime(), `${e} ${anchor}`);
        assert.equal(w.token, `window-${w.start.toISOString().slice(0, 10)}`);
        // The instant before the end is this window; the end starts the next one.
        assert.equal(rotationWindow({ every: e, anchor, now: w.end.getTime() - 1 }), w.token);
        const next = rotationWindowBounds({ every: e, anchor, now: w.end });
        assert.equal(next.index, w.index + 1);
        assert.notEqual(next.token, w.token);
        assert.equal(next.start.getTime(), w.end.getTime());
      }),
      { numRuns: 500 },
    );
  });
});

describe("plan: rotationWindow, input rules", () => {
  const fails = (options: unknown, message: RegExp) =>
    assert.throws(
      () => rotationWindow(options as Parameters<typeof rotationWindow>[0]),
      (e: unknown) =>
        e instanceof RotationWindowError &&
        e.name === "RotationWindowError" &&
        message.test(e.message),
      `${JSON.stringify(options)} should fail with ${message}`,
    );

  it("says what it needs when called without options (null too)", () => {
    fails(null, /rotationWindow needs \{ every, anchor \}/);
    fails(undefined, /rotationWindow needs \{ every, anchor \}/);
  });

  it("refuses a prefix that is not a string (it would be pasted into every token)", () => {
    fails({ ...Q, now: "2026-04-02", prefix: 5 }, /prefix must be a string/);
  });

  it("every: the whole text is the period, surrounding spaces and case aside", () => {
    assert.equal(rotationWindow({ ...Q, every: " 90D ", now: "2026-04-02" }), "window-2026-04-01");
    fails({ ...Q, every: "90dx" }, /every: '90dx' is not/);
    fails({ ...Q, every: "3mox" }, /every: '3mox' is not/);
  });

  it('every: "<n>m" gets the hint to write "<n>mo"; nothing else does', () => {
    fails({ ...Q, every: "12m" }, /"m" is ambiguous: write "12mo" for months/);
    fails({ ...Q, every: " 3M " }, /"m" is ambiguous: write "3mo" for months/);
    for (const every of ["-3m", "x3m", "3mx", "3 m", "P90D"]) {
      assert.throws(
        () => rotationWindow({ ...Q, every }),
        (e: unknown) =>
          e instanceof RotationWindowError &&
          !/ambiguous/.test(e.message) &&
          e.message.endsWith('or "<n>y" (years), e.g. "90d"'),
        every,
      );
    }
  });

  it("every: up to 100 years is accepted, one unit more is refused", () => {
    const at = { anchor: "2026-01-01", now: "2026-01-02" };
    assert.equal(rotationWindow({ ...at, every: "36600d" }), "window-2026-01-01");
    fails({ ...at, every: "36601d" }, /longer than 100 years/);
    assert.equal(rotationWindow({ ...at, every: "100y" }), "window-2026-01-01");
    assert.equal(rotationWindow({ ...at, every: "1200mo" }), "window-2026-01-01");
    fails({ ...at, every: "1201mo" }, /longer than 100 years/);
  });

  it("anchor: only a string is a calendar date (not an array or object that prints as one)", () => {
    fails({ ...Q, anchor: ["2026-01-01"] }, /anchor must be a calendar date "YYYY-MM-DD"/);
    fails(
      { ...Q, anchor: { toString: () => "2026-01-01" } },
      /anchor must be a calendar date "YYYY-MM-DD"/,
    );
  });

  it("now: a date or timestamp string may carry surrounding spaces", () => {
    assert.equal(rotationWindow({ ...Q, now: " 2026-04-01 " }), "window-2026-04-01");
    assert.equal(rotationWindow({ ...Q, now: " 2026-04-01T00:00:00Z\n" }), "window-2026-04-01");
  });

  it("now without a zone: the message says to add one and why", () => {
    fails(
      { ...Q, now: "2026-04-01T00:00" },
      /add "Z" \(UTC\) or an offset such as "\+02:00" \(without one it would be read in this machine's zone\)/,
    );
  });
});
