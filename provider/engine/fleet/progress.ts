// Progress lines for long fleet runs, printed through the CLI: done/total, rate, ETA.
import { log } from "../log";

export class FleetProgress {
  private readonly started = Date.now();
  private lastPrint = this.started;
  private done = 0;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly everyMs = 5000,
  ) {}

  add(status: string): void {
    this.done++;
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
    if (Date.now() - this.lastPrint >= this.everyMs) this.print();
  }

  print(): void {
    this.lastPrint = Date.now();
    log(this.line(this.lastPrint));
  }

  line(now: number): string {
    const secs = Math.max(0.001, (now - this.started) / 1000);
    const rate = this.done / secs;
    const left = this.total - this.done;
    const eta = rate > 0 ? formatDuration(left / rate) : "?";
    const parts = [...this.counts].map(([s, n]) => `${s} ${n}`).join(", ");
    return `fleet ${this.label}: ${this.done}/${this.total} (${parts}) at ${rate.toFixed(1)}/s, ETA ${eta}`;
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
