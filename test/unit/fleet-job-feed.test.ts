import assert from "node:assert/strict";
import { JobFeed } from "../../provider/engine/fleet/jobFeed";

/** Lets every promise that can settle now settle (a few turns of the event loop, no timer). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe("fleet: the feed between reader and rotator", () => {
  it("hands out items in order, and is done only once closed and empty", () => {
    const feed = new JobFeed<number>();
    feed.push([1, 2, 3]);
    assert.deepEqual(feed.take(2), [1, 2]);
    assert.equal(feed.done, false);
    feed.close();
    assert.equal(feed.done, false);
    assert.deepEqual(feed.take(5), [3]);
    assert.equal(feed.done, true);
    assert.throws(() => feed.push([4]), /closed/);
  });

  it("wakes a waiting rotator when the reader pushes", async () => {
    const feed = new JobFeed<number>();
    const woke = feed.changed().then(() => feed.take(10));
    feed.push([7]);
    assert.deepEqual(await woke, [7]);
  });

  it("holds the reader back until the rotator has taken enough", async () => {
    const feed = new JobFeed<number>();
    feed.push([1, 2, 3, 4]);
    let roomy = false;
    const room = feed.room(3).then(() => (roomy = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(roomy, false);
    feed.take(2);
    await room;
    assert.equal(roomy, true);
  });

  it("releases a waiting reader when the rotator stops, and keeps the first reason", async () => {
    const feed = new JobFeed<number>();
    feed.push([1, 2, 3]);
    const room = feed.room(1);
    feed.stop(new Error("Forbidden"));
    feed.stop(new Error("later"));
    await room;
    assert.equal(feed.stopped?.message, "Forbidden");
  });

  it("of(): a closed feed of a list", () => {
    const feed = JobFeed.of(["a", "b"]);
    assert.deepEqual(feed.take(9), ["a", "b"]);
    assert.equal(feed.done, true);
  });

  it("after close, changed() neither resolves (a racing caller would spin) nor keeps a waiter", async () => {
    const feed = JobFeed.of([1]);
    const winner = await Promise.race([
      feed.changed().then(() => "changed"),
      new Promise((r) => setTimeout(() => r("timer"), 20)),
    ]);
    assert.equal(winner, "timer");
  });

  it("room(max) holds while exactly max items are queued, and opens at max - 1", async () => {
    // Rule: the reader keeps fewer than `max` jobs queued (backpressure bounds memory).
    const feed = new JobFeed<number>();
    feed.push([1, 2, 3]);
    let open = false;
    void feed.room(3).then(() => (open = true));
    await settle();
    assert.equal(open, false, "3 queued, max 3: the reader must wait");
    feed.take(1);
    await settle();
    assert.equal(open, true, "2 queued, max 3: the reader may push");
  });

  it("a take wakes a waiter, so a reader held back resumes without any push", async () => {
    // Rule: taking makes room; a reader waiting for room is woken by it (else it hangs).
    const feed = new JobFeed<number>();
    feed.push([1, 2]);
    let woke = false;
    void feed.changed().then(() => (woke = true));
    await settle();
    assert.equal(woke, false);
    feed.take(1);
    await settle();
    assert.equal(woke, true);
  });

  it("an empty take wakes no one (nothing changed)", async () => {
    const feed = new JobFeed<number>();
    let woke = false;
    void feed.changed().then(() => (woke = true));
    assert.deepEqual(feed.take(3), []);
    await settle();
    assert.equal(woke, false);
  });
});

describe("fleet: the feed, closing", () => {
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  it("close wakes a waiting rotator (so it sees the feed done)", async () => {
    const feed = new JobFeed<number>();
    let woke = false;
    void feed.changed().then(() => (woke = true));
    feed.close();
    await settle();
    assert.equal(woke, true);
  });
  it("a changed() after close is not kept: even a later stop does not wake it", async () => {
    const feed = JobFeed.of([1]);
    let woke = false;
    void feed.changed().then(() => (woke = true));
    feed.stop(new Error("Forbidden"));
    await settle();
    assert.equal(woke, false);
  });
});

describe("fleet: the feed's size", () => {
  it("is the number of items queued: what the rotator may take at once", () => {
    const feed = new JobFeed<number>();
    assert.equal(feed.size, 0);
    feed.push([1, 2, 3]);
    assert.equal(feed.size, 3);
    feed.take(2);
    assert.equal(feed.size, 1);
    assert.equal(JobFeed.of([4, 5]).size, 2);
  });
});
