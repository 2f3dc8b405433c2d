// The scale bench's extra meters (on top of instrument.ts's counts per function):
// - the largest transaction: the metrics convex-test's TransactionMetricsTracker holds when a
//   top-level transaction commits (documents and bytes read and written), with its function;
// - contention: every document write, with the top-level transaction that made it, the function
//   running and the simulated time (the fake clock), to find documents that concurrently running
//   functions write (hot rows).
// convex-test runs one transaction at a time (a lock), so "the current top-level transaction"
// is well defined.
//
// Simulated time: the fake clock moves only when timers are advanced, so without more, every
// function that `runAfter(0)` schedules runs at the same instant and "writes per 100 ms" means
// nothing. While the meter runs, every top-level transaction therefore takes TX_MS of simulated
// time (`vi.setSystemTime`, which moves the clock without firing timers; pending timers keep
// their delays): a deployment committing 1000 / TX_MS transactions per second, one at a time.
// BENCH_TX_MS sets it (default 1 ms: about 16 mutations of 16 ms each running at once).
import { TransactionMetricsTracker } from "convex-test/dist/transactionMetrics.js";
import { vi } from "vitest";

/** Simulated milliseconds each top-level transaction takes while the meter runs. */
export const TX_MS = Number(process.env.BENCH_TX_MS ?? 1);

export type Largest = { value: number; fn: string };
export type TxMeter = {
  documentsRead: Largest;
  documentsWritten: Largest;
  bytesRead: Largest;
  bytesWritten: Largest;
  databaseQueries: Largest;
  functionsScheduled: Largest;
  transactions: number;
};
/** Per document: the transactions (by number) that wrote it, per 100 ms window, and by whom. */
export type DocWrites = { table: string; windows: Map<number, Set<number>>; writers: Map<string, number> };

let meter: { tx: TxMeter; docs: Map<string, DocWrites> } | null = null;
let txNumber = 0;
let currentTx = 0;
/** The first counted function seen doing anything in the current top-level transaction. */
let txFn = "";
/** Who is running: set by the scale runner from instrument.ts's frames (see currentFn). */
let currentFn: () => string = () => "?";

export function startMeter(fnOf: () => string) {
  currentFn = fnOf;
  const none = (): Largest => ({ value: 0, fn: "" });
  meter = {
    tx: {
      documentsRead: none(),
      documentsWritten: none(),
      bytesRead: none(),
      bytesWritten: none(),
      databaseQueries: none(),
      functionsScheduled: none(),
      transactions: 0,
    },
    docs: new Map(),
  };
  return meter;
}
export function stopMeter() {
  meter = null;
}

type Layer = { metrics: Record<string, number> };
type TrackerProto = {
  startTransaction(limits?: unknown): void;
  commit(): void;
  _layers: Layer[];
  __scalePatched?: boolean;
};
const proto = TransactionMetricsTracker.prototype as unknown as TrackerProto;
if (!proto.__scalePatched) {
  proto.__scalePatched = true;
  const start = proto.startTransaction;
  proto.startTransaction = function (this: TrackerProto, limits?: unknown) {
    if (this._layers.length === 0) {
      currentTx = ++txNumber;
      txFn = "";
    }
    return start.call(this, limits);
  };
  for (const method of ["trackRead", "trackWrite", "trackScheduledFunction"] as const) {
    const original = (proto as any)[method];
    (proto as any)[method] = function (this: unknown, size: number) {
      if (!txFn) {
        const fn = currentFn();
        if (!fn.startsWith("(")) txFn = fn;
      }
      return original.call(this, size);
    };
  }
  const commit = proto.commit;
  proto.commit = function (this: TrackerProto) {
    if (meter && this._layers.length === 1) {
      if (TX_MS > 0) vi.setSystemTime(Date.now() + TX_MS);
      const m = this._layers[0].metrics;
      const fn = txFn || currentFn();
      meter.tx.transactions++;
      for (const k of [
        "documentsRead",
        "documentsWritten",
        "bytesRead",
        "bytesWritten",
        "databaseQueries",
        "functionsScheduled",
      ] as const) {
        if ((m[k] ?? 0) > meter.tx[k].value) meter.tx[k] = { value: m[k], fn };
      }
    }
    return commit.call(this);
  };
}

/** Record one document write (called from the patched DatabaseFake._addWrite). */
export function recordWrite(id: string, table: string) {
  // System tables (the scheduler's own rows) are not the app's or the component's documents.
  if (!meter || table.startsWith("_")) return;
  let doc = meter.docs.get(id);
  if (!doc) meter.docs.set(id, (doc = { table, windows: new Map(), writers: new Map() }));
  const window = Math.floor(Date.now() / 100);
  let txs = doc.windows.get(window);
  if (!txs) doc.windows.set(window, (txs = new Set()));
  txs.add(currentTx);
  const fn = currentFn();
  doc.writers.set(fn, (doc.writers.get(fn) ?? 0) + 1);
}

/** Patch DatabaseFake._addWrite (needs fastDb's exposed internals). */
export function installWriteMeter(): boolean {
  const internals = (globalThis as Record<string, any>).__benchConvexTestInternals;
  if (!internals) return false;
  const p = internals.DatabaseFake.prototype;
  if (p.__scaleWrites) return true;
  p.__scaleWrites = true;
  const addWrite = p._addWrite;
  p._addWrite = function (this: any, id: string, value: unknown) {
    recordWrite(`${this._componentPath || "app"}/${id}`, internals.tableNameFromId(id) ?? "?");
    return addWrite.call(this, id, value);
  };
  return true;
}

export type HotDoc = {
  id: string;
  table: string;
  /** Distinct top-level transactions that wrote it. */
  writes: number;
  /** 100 ms windows from its first write to its last. */
  span: number;
  /** writes / span: transactions writing it per 100 ms of simulated time, on average. */
  perWindow: number;
  /** The most transactions writing it in one 100 ms window. */
  maxInWindow: number;
  writers: string[];
};

export function hotDocs(docs: Map<string, DocWrites>): HotDoc[] {
  const out: HotDoc[] = [];
  for (const [id, d] of docs) {
    const windows = [...d.windows.keys()];
    const txs = new Set<number>();
    let maxInWindow = 0;
    for (const set of d.windows.values()) {
      for (const tx of set) txs.add(tx);
      maxInWindow = Math.max(maxInWindow, set.size);
    }
    if (txs.size < 2) continue;
    const span = Math.max(...windows) - Math.min(...windows) + 1;
    out.push({
      id,
      table: d.table,
      writes: txs.size,
      span,
      perWindow: txs.size / span,
      maxInWindow,
      writers: [...d.writers.entries()].sort((a, b) => b[1] - a[1]).map(([fn, n]) => `${fn} (${n})`),
    });
  }
  return out.sort((a, b) => b.perWindow - a.perWindow || b.writes - a.writes);
}
