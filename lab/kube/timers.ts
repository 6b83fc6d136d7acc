/**
 * A min-heap of timers keyed by scenario due time. The simulation runs each timer at its own due
 * time (not at "now"), so a cluster can be warmed up by minutes in one call and every timestamp
 * still falls where it would have in real time.
 */
export interface Timer {
  at: number;
  run: (at: number) => void;
  cancelled?: boolean;
}

export class TimerHeap {
  private readonly heap: Timer[] = [];

  get size(): number {
    return this.heap.length;
  }

  add(at: number, run: (at: number) => void): Timer {
    const t: Timer = { at, run };
    this.heap.push(t);
    this.up(this.heap.length - 1);
    return t;
  }

  /** Runs every timer due at or before `now`, earliest first, including ones added meanwhile. */
  runUntil(now: number, maxSteps = 1_000_000): number {
    let steps = 0;
    while (this.heap.length > 0 && this.heap[0]!.at <= now && steps < maxSteps) {
      const t = this.pop()!;
      if (t.cancelled) continue;
      t.run(t.at);
      steps++;
    }
    return steps;
  }

  private pop(): Timer | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (this.heap.length > 0 && last) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.at < h[m]!.at) m = l;
      if (r < h.length && h[r]!.at < h[m]!.at) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
