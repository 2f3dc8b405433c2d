// An index-aware read path for convex-test's in-memory database, for the scale bench only
// (`npm run bench -- --scale`; BENCH_FAST_DB=0 turns it off).
//
// What convex-test does: every query (`withIndex` included) calls `DatabaseFake._iterateDocs`,
// which lists EVERY committed document of EVERY table (`Object.keys(this._documents)`), keeps
// those of the table, then checks the index range on each. Reads cost O(all documents), so a run
// of n workflows costs O(n²): 10,000 four-step workflows hold ~60,000 documents.
//
// What this changes, and nothing else:
// - `exposeConvexTestInternals()` (a Vite transform on convex-test's dist/index.js) appends one
//   line exporting its private `DatabaseFake` class and two pure helpers to `globalThis`.
// - `installFastReads()` wraps `DatabaseFake.prototype._resolveQuerySource` and
//   `_iterateDocs`. Each database's `_documents` map becomes a Proxy that keeps, as documents
//   are committed or deleted, the ids per table and, per schema index, the ids per value of its
//   first field and per values of its first two fields. An index range whose leading filters
//   are `eq` on those fields iterates only that bucket (plus the transaction's pending writes,
//   as before); anything else iterates the table's ids. convex-test's own code still checks
//   every range filter on every candidate, sorts, filters, limits, pages and meters reads
//   exactly as before: a bucket only leaves out documents that cannot match.
// So the documents a query returns, and what `TransactionMetricsTracker` counts, are the same;
// only the time spent finding them changes. The bench checks this: same counts at 1,000
// workflows with BENCH_FAST_DB=0 and =1 (docs/performance.md).
import type { Plugin } from "vite";

type Doc = Record<string, unknown> & { _id: string };
type Internals = {
  DatabaseFake: { prototype: any };
  evaluateFieldPath: (fieldPath: string, doc: unknown) => unknown;
  evaluateQueryValue: (value: unknown) => unknown;
  tableNameFromId: (id: string) => string | null;
};
const GLOBAL = "__benchConvexTestInternals";

/** A Vite plugin: expose convex-test's DatabaseFake (and two helpers) on `globalThis`. */
export function exposeConvexTestInternals(): Plugin {
  return {
    name: "bench-expose-convex-test-internals",
    enforce: "pre",
    transform(code, id) {
      if (!/convex-test[\\/]dist[\\/]index\.js/.test(id)) return null;
      return `${code}\nglobalThis.${GLOBAL} = { DatabaseFake, evaluateFieldPath, evaluateQueryValue, tableNameFromId };\n`;
    },
  };
}

type IndexBuckets = { fields: string[]; one: Map<string, Set<string>>; two: Map<string, Set<string>> | null };
type State = {
  tables: Map<string, Set<string>>;
  /** "table.index" -> buckets */
  indexes: Map<string, IndexBuckets>;
  byTable: Map<string, IndexBuckets[]>;
};
const STATE = Symbol("benchFastReads");
let internals: Internals | undefined;

/** A key equal for values convex-test's compareValues calls equal (for the types indexes hold). */
function keyOf(value: unknown): string {
  if (value === undefined) return "u";
  if (value === null) return "n";
  switch (typeof value) {
    case "string":
      return `s${value}`;
    case "number":
      return Object.is(value, -0) ? "d0" : `d${value}`;
    case "boolean":
      return `b${value}`;
    case "bigint":
      return `i${value}`;
    default:
      return `o${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))}`;
  }
}

function addTo(map: Map<string, Set<string>>, key: string, id: string) {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}
function removeFrom(map: Map<string, Set<string>>, key: string, id: string) {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

function stateOf(db: any): State {
  if (db[STATE]) return db[STATE] as State;
  const { evaluateFieldPath, tableNameFromId } = internals!;
  const state: State = { tables: new Map(), indexes: new Map(), byTable: new Map() };
  for (const [table, schema] of (db._schema?.tables ?? new Map()) as Map<string, { indexes?: any[] }>) {
    const list: IndexBuckets[] = [];
    for (const index of schema.indexes ?? []) {
      const buckets: IndexBuckets = {
        fields: index.fields,
        one: new Map(),
        two: index.fields.length >= 2 ? new Map() : null,
      };
      state.indexes.set(`${table}.${index.indexDescriptor}`, buckets);
      list.push(buckets);
    }
    state.byTable.set(table, list);
  }
  const keys = (b: IndexBuckets, doc: Doc) => {
    const k1 = keyOf(evaluateFieldPath(b.fields[0], doc));
    const k2 = b.two ? `${k1}\u0000${keyOf(evaluateFieldPath(b.fields[1], doc))}` : "";
    return [k1, k2] as const;
  };
  const add = (id: string, doc: Doc | null | undefined) => {
    if (!doc) return;
    const table = tableNameFromId(id);
    if (!table) return;
    addTo(state.tables, table, id);
    for (const b of state.byTable.get(table) ?? []) {
      const [k1, k2] = keys(b, doc);
      addTo(b.one, k1, id);
      if (b.two) addTo(b.two, k2, id);
    }
  };
  const remove = (id: string, doc: Doc | null | undefined) => {
    if (!doc) return;
    const table = tableNameFromId(id);
    if (!table) return;
    removeFrom(state.tables, table, id);
    for (const b of state.byTable.get(table) ?? []) {
      const [k1, k2] = keys(b, doc);
      removeFrom(b.one, k1, id);
      if (b.two) removeFrom(b.two, k2, id);
    }
  };
  const documents = db._documents as Record<string, Doc>;
  for (const [id, doc] of Object.entries(documents)) add(id, doc);
  db._documents = new Proxy(documents, {
    set(target, id: string, value: Doc) {
      remove(id, target[id]);
      target[id] = value;
      add(id, value);
      return true;
    },
    deleteProperty(target, id: string) {
      remove(id, target[id]);
      delete target[id];
      return true;
    },
  });
  db[STATE] = state;
  return state;
}

/** Committed ids a query on `source` must look at, or undefined for the whole table. */
function candidates(state: State, source: any): Set<string> | undefined {
  if (source?.type !== "IndexRange") return undefined;
  const buckets = state.indexes.get(source.indexName as string);
  if (!buckets) return undefined;
  const eqOn = (field: string) =>
    (source.range as any[]).find((f) => f.type === "Eq" && f.fieldPath === field) as { value: unknown } | undefined;
  const first = eqOn(buckets.fields[0]);
  if (!first) return undefined;
  const k1 = keyOf(internals!.evaluateQueryValue(first.value));
  const second = buckets.two ? eqOn(buckets.fields[1]) : undefined;
  if (second) {
    const k2 = `${k1}\u0000${keyOf(internals!.evaluateQueryValue(second.value))}`;
    return buckets.two!.get(k2) ?? new Set();
  }
  return buckets.one.get(k1) ?? new Set();
}

/** Patch convex-test's DatabaseFake (once). Returns false if its internals are not exposed. */
export function installFastReads(): boolean {
  internals = (globalThis as Record<string, unknown>)[GLOBAL] as Internals | undefined;
  if (!internals) return false;
  const proto = internals.DatabaseFake.prototype;
  if (proto.__benchFastReads) return true;
  proto.__benchFastReads = true;
  const resolve = proto._resolveQuerySource;
  proto._resolveQuerySource = function (this: any, query: any) {
    const state = stateOf(this);
    this.__benchHint = candidates(state, query.source);
    try {
      return resolve.call(this, query);
    } finally {
      this.__benchHint = undefined;
    }
  };
  proto._iterateDocs = function (this: any, tableName: string, callback: (doc: Doc) => void) {
    const state = stateOf(this);
    const ids = new Set<string>(this.__benchHint ?? state.tables.get(tableName) ?? []);
    this.__benchHint = undefined;
    for (const layer of this._writes as Record<string, unknown>[]) {
      for (const id of Object.keys(layer)) if (internals!.tableNameFromId(id) === tableName) ids.add(id);
    }
    for (const id of ids) {
      const doc = this.get(tableName, id);
      if (doc !== null) callback(doc);
    }
  };
  return true;
}
