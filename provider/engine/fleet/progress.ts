// Progress lines for long fleet runs, printed through the CLI: done/total, rate, ETA.
import { log } from "../log";

export class FleetProgress {
  /** Set at the first record: the rate is the run's, not the start-up's. */
  private started: number | undefined;
  private lastPrint = Date.now();
  private done = 0;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly everyMs = 5000,
  ) {}

  add(status: string): void {
    this.started ??= Date.now();
    this.done++;
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
    if (Date.now() - this.lastPrint >= this.everyMs) this.print();
  }

  print(): void {
    this.lastPrint = Date.now();
    log(this.line(this.lastPrint));
  }

  line(now: number): string {
    const head = `fleet ${this.label}: ${this.done}/${this.total} (${[...this.counts]
      .map(([s, n]) => `${s} ${n}`)
      .join(", ")})`;
    const secs = (now - (this.started ?? now)) / 1000;
    // Under a second a rate says nothing (a handful of records in a few ms).
    if (secs < 1) return `${head} in ${formatDuration(secs)}`;
    const rate = this.done / secs;
    const eta = formatDuration((this.total - this.done) / rate);
    return `${head} at ${rate.toFixed(1)}/s, ETA ${eta}`;
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
