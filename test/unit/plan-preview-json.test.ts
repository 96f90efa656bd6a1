// The fleet preview's line for `bitlocker-report preview` (plan/fleet/previewJson.ts): what the
// preview read (skips by reason, rotations already made), versioned, one line whatever it holds.
import assert from "node:assert/strict";
import {
  isPreviewJsonLine,
  parsePreviewJsonLine,
  previewJson,
  previewJsonLine,
} from "../../provider/plan/fleet/previewJson";
import type { FleetPlan } from "../../provider/plan/fleet/plan";
import type { FleetPreview } from "../../provider/plan/preview";

const id = (n: number) => `0b7c5a2e-3333-4a2b-9c3d-${String(n).padStart(12, "0")}`;
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => id(from + i));

const plan = {
  rotate: ids(0, 8),
  settle: [id(8)],
  adopt: [id(20)],
  forget: [id(30), id(31)],
  unchanged: [id(40)],
} as unknown as FleetPlan;

const preview: FleetPreview = {
  rotate: ids(0, 3),
  skip: new Map([
    ["notWindows", [id(3), id(4)]],
    ["notFound", [id(5)]],
  ]),
  recorded: [id(6), id(8)],
  unread: new Map([["TooManyRequests", [id(7)]]]),
  names: new Map([[id(3), "MAC-1"]]),
};

describe("plan/fleet/previewJson: the fleet preview's line for the comment", () => {
  it("after reads: skips by reason, recorded ids, counts of each kind", () => {
    assert.deepEqual(previewJson("desktops", plan, preview), {
      v: 1,
      fleet: "desktops",
      read: true,
      skip: { notWindows: [id(3), id(4)], notFound: [id(5)] },
      record: [id(6), id(8)],
      counts: {
        rotate: 3,
        settle: 0,
        adopt: 1,
        forget: 2,
        unchanged: 1,
        skip: 3,
        record: 2,
        unread: 1,
      },
    });
  });

  it("without reads (refused, nothing to rotate, no credential): nothing read, the plan's counts", () => {
    const doc = previewJson("desktops", plan);
    assert.equal(doc.read, false);
    assert.deepEqual([doc.skip, doc.record], [{}, []]);
    assert.deepEqual([doc.counts.rotate, doc.counts.settle], [8, 1]);
  });

  it("round trip, with or without the log's prefix; one line even for a label with a newline", () => {
    const line = previewJsonLine("desk\ntops", plan, preview);
    assert.ok(!line.includes("\n"));
    assert.match(line, /^preview-json \{"v":1,"fleet":"desk\\ntops",/);
    assert.deepEqual(parsePreviewJsonLine(line), previewJson("desk\ntops", plan, preview));
    assert.deepEqual(parsePreviewJsonLine(`[bitlocker] ${line}`), parsePreviewJsonLine(line));
    assert.ok(isPreviewJsonLine(`[bitlocker] ${line}`));
  });

  it("an unknown version, a broken or foreign line: not read", () => {
    const line = previewJsonLine("desktops", plan, preview);
    for (const bad of [
      line.replace('"v":1', '"v":2'),
      line.slice(0, -1),
      line.replace(`"record":[`, `"record":[1,`),
      line.replace(`"notFound":[`, `"notFound":[2,`),
      "preview-json null",
      "fleet desktops: rotate 3: …",
    ])
      assert.equal(parsePreviewJsonLine(bad), undefined, bad.slice(0, 60));
    assert.ok(isPreviewJsonLine(line.replace('"v":1', '"v":2')), "still kept out of the notes");
    assert.ok(!isPreviewJsonLine("[bitlocker] fleet desktops: rotate 3"));
  });
  it("is read only at the start of the text (after the log's prefix), with each field of its type", () => {
    const line = previewJsonLine("desktops", plan, preview);
    const body = line.slice("preview-json ".length);
    for (const bad of [
      `other text [bitlocker] ${line}`,
      `${"x".repeat("preview-json ".length)}${body}`,
      line.replace('"fleet":"desktops"', '"fleet":5'),
      line.replace(/"skip":\{[^}]*\}/, '"skip":null'),
      line.replace(/"skip":\{[^}]*\}/, '"skip":5'),
    ])
      assert.equal(parsePreviewJsonLine(bad), undefined, bad.slice(0, 60));
    assert.ok(!isPreviewJsonLine(`other text [bitlocker] ${line}`));
  });

  it("without reads, nothing is unread", () => {
    assert.equal(previewJson("desktops", plan).counts.unread, 0);
  });
});
