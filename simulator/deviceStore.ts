// Devices, their recovery-key entries, and the rotations waiting for a check-in.
// Everything is keyed by id so per-request work stays O(1) (plus a page's worth of devices).
import { randomUUID } from "node:crypto";
import type { DeviceActionResult, RecoveryKeyInfo } from "./graphTypes";
import { ROTATE_ACTION_ODATA_TYPE } from "./graphTypes";
import { ERROR_CODES, type DevicePatch, type SimDevice } from "./devices";
import { rotateResult } from "./fleet";

export interface DeviceStoreOptions {
  /** Delay from a rotation request to the device's check-in; null = only on checkIn(). */
  checkInDelayMs: number | null;
  /** Entra ID keeps at most this many recovery keys per device (200). */
  keyCap: number;
  /** errorCode reported when an escrow would exceed the cap. */
  keyCapErrorCode: number;
  /** Graph's clock minus the machine's: added to the action-result times it writes. */
  clockOffsetMs?: number;
  /** This machine's clock as the store reads it (default Date.now); tests drive check-ins with it. */
  now?: () => number;
}

interface Entry {
  sim: SimDevice;
  /** Insertion sequence: a stable paging cursor. */
  seq: number;
  /** Bumped by each rotation request, so a stale scheduled check-in is ignored. */
  generation: number;
}

interface Scheduled {
  dueAt: number;
  id: string;
  generation: number;
}

export class DeviceStore {
  private readonly byId = new Map<string, Entry>();
  /** Ordered by seq (appends only; removal splices). */
  private readonly ordered: Entry[] = [];
  private readonly keysByEntraId = new Map<string, RecoveryKeyInfo[]>();
  private readonly allKeys: RecoveryKeyInfo[] = [];
  private readonly keysById = new Map<string, RecoveryKeyInfo>();
  private readonly pending = new Set<string>();
  private readonly schedule = new MinHeap<Scheduled>((a, b) => a.dueAt - b.dueAt);
  private nextSeq = 1;

  private readonly now: () => number;

  constructor(private readonly options: DeviceStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.byId.size;
  }

  setCheckInDelay(ms: number | null): void {
    this.options.checkInDelayMs = ms;
  }

  add(sim: SimDevice, recoveryKeys: number, keysCreatedBefore: number): SimDevice {
    const id = sim.device.id;
    if (this.byId.has(id)) throw new Error(`device ${id} already exists`);
    const entry: Entry = { sim, seq: this.nextSeq++, generation: 0 };
    this.byId.set(id, entry);
    this.ordered.push(entry);
    for (let i = 0; i < recoveryKeys; i++) {
      // Older keys first, a day apart.
      const created = keysCreatedBefore - (recoveryKeys - i) * 86400_000;
      this.escrowKey(sim.device.azureADDeviceId, created);
    }
    return sim;
  }

  get(id: string, now = this.now()): SimDevice | undefined {
    this.settleDue(now);
    return this.byId.get(id)?.sim;
  }

  /** Devices from after `cursor` (a seq; 0 = start) that pass `accept`, at most `limit`. */
  page(
    cursor: number,
    limit: number,
    accept: (sim: SimDevice) => boolean,
    now = this.now(),
  ): { items: SimDevice[]; nextCursor: number | null } {
    this.settleDue(now);
    const items: SimDevice[] = [];
    let lastSeq = cursor;
    for (let i = this.firstAfter(cursor); i < this.ordered.length; i++) {
      const entry = this.ordered[i] as Entry;
      if (!accept(entry.sim)) continue;
      // Only hand out a next link when another match exists: no empty last page.
      if (items.length === limit) return { items, nextCursor: lastSeq };
      items.push(entry.sim);
      lastSeq = entry.seq;
    }
    return { items, nextCursor: null };
  }

  all(now = this.now()): SimDevice[] {
    this.settleDue(now);
    return this.ordered.map((e) => e.sim);
  }

  update(id: string, patch: DevicePatch): SimDevice | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    const { outcome, checkInDelayMs, profile, ...wire } = patch;
    const oldEntraId = entry.sim.device.azureADDeviceId;
    Object.assign(entry.sim.device, wire);
    if (outcome) entry.sim.outcome = outcome;
    if (checkInDelayMs !== undefined) entry.sim.checkInDelayMs = checkInDelayMs;
    if (profile !== undefined) entry.sim.profile = profile;
    if (oldEntraId !== entry.sim.device.azureADDeviceId) {
      // Keys belong to the Entra device object; an id change re-points them.
      const keys = this.keysByEntraId.get(oldEntraId);
      if (keys) {
        this.keysByEntraId.delete(oldEntraId);
        this.keysByEntraId.set(entry.sim.device.azureADDeviceId, keys);
        for (const k of keys) k.deviceId = entry.sim.device.azureADDeviceId;
      }
    }
    return entry.sim;
  }

  remove(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.byId.delete(id);
    this.pending.delete(id);
    this.ordered.splice(this.firstAfter(entry.seq - 1), 1);
    return true;
  }

  /** Queues the rotation: the action result becomes pending now. */
  requestRotation(id: string, now = this.now()): void {
    const entry = this.byId.get(id);
    if (!entry) throw new Error(`no device ${id}`);
    entry.generation++;
    const at = new Date(now + (this.options.clockOffsetMs ?? 0)).toISOString();
    setRotateResult(entry.sim.device.deviceActionResults, rotateResult("pending", at, at, 0));
    this.pending.add(id);
    if (entry.sim.outcome.state === "offline") return;
    const delay =
      entry.sim.checkInDelayMs !== undefined
        ? entry.sim.checkInDelayMs
        : this.options.checkInDelayMs;
    if (delay !== null) {
      this.schedule.push({ dueAt: now + delay, id, generation: entry.generation });
    }
  }

  /** Makes pending devices (all, or those named) check in now. Offline devices do not. */
  checkIn(ids?: string[], now = this.now()): number {
    let count = 0;
    for (const id of ids ?? [...this.pending]) {
      const entry = this.byId.get(id);
      if (!entry || !this.pending.has(id) || entry.sim.outcome.state === "offline") continue;
      this.settle(entry, now);
      count++;
    }
    return count;
  }

  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  pendingIds(): string[] {
    return [...this.pending];
  }

  /** Applies every scheduled check-in that is due, at the time it was due. */
  settleDue(now = this.now()): void {
    for (;;) {
      const top = this.schedule.peek();
      if (!top || top.dueAt > now) return;
      this.schedule.pop();
      const entry = this.byId.get(top.id);
      if (!entry || entry.generation !== top.generation || !this.pending.has(top.id)) continue;
      this.settle(entry, top.dueAt);
    }
  }

  recoveryKeys(entraDeviceId: string, now = this.now()): RecoveryKeyInfo[] {
    this.settleDue(now);
    return this.keysByEntraId.get(entraDeviceId) ?? [];
  }

  allRecoveryKeys(now = this.now()): RecoveryKeyInfo[] {
    this.settleDue(now);
    return this.allKeys;
  }

  findRecoveryKey(keyId: string, now = this.now()): RecoveryKeyInfo | undefined {
    this.settleDue(now);
    return this.keysById.get(keyId);
  }

  private settle(entry: Entry, at: number): void {
    const { sim } = entry;
    const results = sim.device.deviceActionResults;
    const current = results.find((r) => r["@odata.type"] === ROTATE_ACTION_ODATA_TYPE);
    const when = new Date(at + (this.options.clockOffsetMs ?? 0)).toISOString();
    const start = current?.startDateTime ?? when;
    this.pending.delete(sim.device.id);
    sim.device.lastSyncDateTime = when;
    const outcome = sim.outcome;
    if (outcome.state === "done") {
      const keys = this.keysByEntraId.get(sim.device.azureADDeviceId)?.length ?? 0;
      if (keys >= this.options.keyCap) {
        setRotateResult(results, rotateResult("failed", start, when, this.options.keyCapErrorCode));
        return;
      }
      this.escrowKey(sim.device.azureADDeviceId, at);
      setRotateResult(results, rotateResult("done", start, when, 0));
    } else if (outcome.state === "failed") {
      setRotateResult(results, rotateResult("failed", start, when, outcome.errorCode));
    } else if (outcome.state === "notSupported") {
      setRotateResult(results, rotateResult("notSupported", start, when, 0));
    }
  }

  private escrowKey(entraDeviceId: string, createdAt: number): void {
    // Metadata only: the simulator never makes or holds key material.
    const key: RecoveryKeyInfo = {
      id: randomUUID(),
      createdDateTime: new Date(createdAt).toISOString(),
      deviceId: entraDeviceId,
      volumeType: "1",
    };
    let list = this.keysByEntraId.get(entraDeviceId);
    if (!list) {
      list = [];
      this.keysByEntraId.set(entraDeviceId, list);
    }
    list.push(key);
    this.allKeys.push(key);
    this.keysById.set(key.id, key);
  }

  /** Index of the first entry whose seq is greater than `seq`. */
  private firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ordered[mid] as Entry).seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export const DEFAULT_KEY_CAP_ERROR_CODE = ERROR_CODES.keyCapReached;

function setRotateResult(results: DeviceActionResult[], result: DeviceActionResult): void {
  const i = results.findIndex((r) => r["@odata.type"] === ROTATE_ACTION_ODATA_TYPE);
  if (i >= 0) results[i] = result;
  else results.push(result);
}

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => number) {}

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.less(a[i] as T, a[parent] as T) >= 0) break;
      [a[i], a[parent]] = [a[parent] as T, a[i] as T];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l] as T, a[m] as T) < 0) m = l;
        if (r < a.length && this.less(a[r] as T, a[m] as T) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as T, a[i] as T];
        i = m;
      }
    }
    return top;
  }
}
