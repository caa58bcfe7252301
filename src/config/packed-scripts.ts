/**
 * `keel -t`'s vrrp_scripts as packed columns, not objects (issue 14: a 100 MB file of
 * 1.7 M vrrp_script blocks must cost a few hundred bytes a block).
 *
 * As objects, each script kept ~285 bytes of live heap (the VrrpScript with an out-of-line
 * property store, its Script, the name's string, a dictionary entry), and JavaScriptCore,
 * which grows its heap to a multiple of what survived the last collection and does not
 * compact, made that ~1,200 bytes of RSS a block. Here a script is one row of typed-array
 * columns in fixed chunks (src/config/columns.ts) and its texts are code units in a pool,
 * ~120 bytes a block and no object for the collector to keep.
 *
 * The record keeps the model's shape (`Record<string, VrrpScript>`) as a Proxy, so the
 * parser and the checks read and write it as they do a plain one: a read builds the script
 * again (with its origins: `Origins.attach`), a write packs it. What walks every script uses
 * `valuesOf` (src/base/values.ts) and gets them one at a time. Only `parseConf` with
 * `packScripts` makes one: the daemon, reload and convert keep plain objects.
 */
import { LAZY_VALUES } from "../base/values";
import { TextPool, f64Column, i32Column, u32Column } from "./columns";
import type { Origins } from "./origins";
import type { Script } from "./script";
import type { VrrpScript } from "./vrrp/model";

const NONE = 0xffffffff;
const F_REVERSE = 1;
const F_INIT_FAIL = 2;
const F_SCRIPT = 4;
const F_DELETED = 8;
/** kept as the object it is (a field these columns do not hold): in `kept` */
const F_KEPT = 16;
/** the script's name is its key (always, from the parser): its text is there once */
const F_KEY_NAME = 32;

const SCRIPT_KEYS = new Set([
  "name",
  "script",
  "interval",
  "timeout",
  "weight",
  "weightReverse",
  "rise",
  "fall",
  "initFail",
]);
const COMMAND_KEYS = new Set(["command", "user", "group"]);

const int32 = (x: unknown): boolean => typeof x === "number" && (x | 0) === x && !Object.is(x, -0);

/** Whether the columns hold every field of `s` exactly (else it is kept as an object). */
function packable(s: VrrpScript): boolean {
  for (const k of Object.keys(s)) if (!SCRIPT_KEYS.has(k)) return false;
  if (typeof s.name !== "string" || s.name.length >= 0x10000 || typeof s.interval !== "number") return false;
  if (s.timeout !== undefined && (typeof s.timeout !== "number" || Number.isNaN(s.timeout))) return false;
  if (!int32(s.weight) || !int32(s.rise) || !int32(s.fall)) return false;
  if (typeof s.weightReverse !== "boolean" || typeof s.initFail !== "boolean") return false;
  if ("timeout" in s && s.timeout === undefined) return false;
  if (!("script" in s)) return true;
  const c = s.script;
  if (c === undefined || typeof c.command !== "string" || c.command.length >= 0x10000) return false;
  for (const k of Object.keys(c)) if (!COMMAND_KEYS.has(k)) return false;
  if ("user" in c && typeof c.user !== "string") return false;
  if ("group" in c && typeof c.group !== "string") return false;
  return true;
}

/** A canonical array index (< 2^32 - 1): JavaScript orders such keys first, ascending. */
function isIndexKey(k: string): boolean {
  return /^(0|[1-9]\d{0,9})$/.test(k) && Number(k) < 0xffffffff;
}

export class ScriptColumns {
  private readonly text = new TextPool();
  private readonly textAt = u32Column();
  private readonly nameLen = u32Column();
  private readonly commandLen = u32Column();
  /** length + 1, 0 when absent */
  private readonly userLen = u32Column();
  private readonly groupLen = u32Column();
  private readonly interval = f64Column();
  /** NaN when absent */
  private readonly timeout = f64Column();
  private readonly weight = i32Column();
  private readonly rise = i32Column();
  private readonly fall = i32Column();
  private readonly flags = u32Column();
  private readonly originRow = u32Column();
  private readonly scriptRow = u32Column();
  private readonly kept = new Map<number, VrrpScript>();
  /** open addressing on the name: row + 1, 0 empty, -1 a deleted row's slot */
  private slots = new Int32Array(64);
  private used = 0;
  private rows = 0;
  private live = 0;

  constructor(private readonly origins: Origins) {}

  get size(): number {
    return this.live;
  }

  has(name: string): boolean {
    return this.find(name) >= 0;
  }

  get(name: string): VrrpScript | undefined {
    const row = this.find(name);
    return row < 0 ? undefined : this.build(row);
  }

  /** Pack `s` under `name`: in place when the name is there, else as the last row. */
  put(name: string, s: VrrpScript): void {
    const at = this.find(name);
    const row = at >= 0 ? at : this.rows++;
    this.write(row, name, s);
    if (at >= 0) return;
    this.live++;
    if (4 * (this.used + 1) > 3 * this.slots.length) this.rehash();
    this.insert(row, name);
  }

  delete(name: string): boolean {
    const slot = this.slotOf(name);
    if (slot < 0) return false;
    const row = (this.slots[slot] as number) - 1;
    this.slots[slot] = -1;
    this.flags.set(row, F_DELETED);
    this.kept.delete(row);
    this.live--;
    return true;
  }

  /** The names in JavaScript's key order: index-like names ascending, then in order put. */
  *names(): Generator<string> {
    for (const row of this.order()) yield this.nameOf(row);
  }

  *values(): Generator<VrrpScript> {
    for (const row of this.order()) yield this.build(row);
  }

  private *order(): Generator<number> {
    const index: number[] = [];
    for (let row = 0; row < this.rows; row++) if (this.isIndexRow(row)) index.push(row);
    index.sort((a, b) => Number(this.nameOf(a)) - Number(this.nameOf(b)));
    yield* index;
    for (let row = 0; row < this.rows; row++)
      if (!(this.flags.get(row) & F_DELETED) && !this.isIndexRow(row)) yield row;
  }

  /** a live row whose name is an index key (looked at as text only when it starts with a digit) */
  private isIndexRow(row: number): boolean {
    if (this.flags.get(row) & F_DELETED) return false;
    const first = this.text.code(this.textAt.get(row));
    return first >= 0x30 && first <= 0x39 && isIndexKey(this.nameOf(row));
  }

  private write(row: number, name: string, s: VrrpScript): void {
    if (!packable(s)) {
      this.flags.set(row, F_KEPT);
      this.kept.set(row, s);
      this.textAt.set(row, this.text.add(name));
      this.nameLen.set(row, name.length);
      return;
    }
    this.kept.delete(row);
    const c: Partial<Script> = s.script ?? {};
    const command = c.command ?? "";
    const own = s.name === name ? "" : s.name;
    // the key, then the script's texts, one after another in one piece of the pool
    this.textAt.set(row, this.text.add(name + own + command + (c.user ?? "") + (c.group ?? "")));
    this.nameLen.set(row, name.length);
    this.commandLen.set(row, own.length * 0x10000 + command.length);
    this.userLen.set(row, c.user === undefined ? 0 : c.user.length + 1);
    this.groupLen.set(row, c.group === undefined ? 0 : c.group.length + 1);
    this.interval.set(row, s.interval);
    this.timeout.set(row, s.timeout ?? Number.NaN);
    this.weight.set(row, s.weight);
    this.rise.set(row, s.rise);
    this.fall.set(row, s.fall);
    this.flags.set(
      row,
      (s.weightReverse ? F_REVERSE : 0) |
        (s.initFail ? F_INIT_FAIL : 0) |
        (s.script ? F_SCRIPT : 0) |
        (own === "" ? F_KEY_NAME : 0),
    );
    this.originRow.set(row, this.origins.order(s) ?? NONE);
    this.scriptRow.set(row, (s.script && this.origins.order(s.script)) ?? NONE);
  }

  /** The script as it was put: the same fields in the same order, with its origins. */
  private build(row: number): VrrpScript {
    const flags = this.flags.get(row);
    if (flags & F_KEPT) return this.kept.get(row) as VrrpScript;
    let at = this.textAt.get(row) + this.nameLen.get(row);
    const lens = this.commandLen.get(row);
    const take = (n: number) => {
      const s = this.text.text(at, n);
      at += n;
      return s;
    };
    const own = take(Math.floor(lens / 0x10000));
    const name = flags & F_KEY_NAME ? this.nameOf(row) : own;
    const command = take(lens % 0x10000);
    const s: VrrpScript = {
      name,
      interval: this.interval.get(row),
      weight: this.weight.get(row),
      weightReverse: (flags & F_REVERSE) !== 0,
      rise: this.rise.get(row),
      fall: this.fall.get(row),
      initFail: (flags & F_INIT_FAIL) !== 0,
    };
    if (flags & F_SCRIPT) {
      const script: Script = { command };
      const user = this.userLen.get(row);
      const group = this.groupLen.get(row);
      if (user > 0) script.user = take(user - 1);
      if (group > 0) script.group = take(group - 1);
      const r = this.scriptRow.get(row);
      if (r !== NONE) this.origins.attach(script, r);
      s.script = script;
    }
    const timeout = this.timeout.get(row);
    if (!Number.isNaN(timeout)) s.timeout = timeout;
    const r = this.originRow.get(row);
    if (r !== NONE) this.origins.attach(s, r);
    return s;
  }

  private nameOf(row: number): string {
    return this.text.text(this.textAt.get(row), this.nameLen.get(row));
  }

  private hash(name: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
    return h >>> 0;
  }

  private find(name: string): number {
    const slot = this.slotOf(name);
    return slot < 0 ? -1 : (this.slots[slot] as number) - 1;
  }

  private slotOf(name: string): number {
    const mask = this.slots.length - 1;
    for (let i = this.hash(name) & mask; ; i = (i + 1) & mask) {
      const v = this.slots[i] as number;
      if (v === 0) return -1;
      if (v > 0 && this.text.equals(this.textAt.get(v - 1), this.nameLen.get(v - 1), name)) return i;
    }
  }

  private insert(row: number, name: string): void {
    const mask = this.slots.length - 1;
    let i = this.hash(name) & mask;
    while ((this.slots[i] as number) !== 0) i = (i + 1) & mask;
    this.slots[i] = row + 1;
    this.used++;
  }

  /** twice the live rows' room, without the deleted rows' slots */
  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(Math.max(64, 2 ** Math.ceil(Math.log2(4 * (this.live + 1)))));
    this.used = 0;
    for (const v of old) if (v > 0) this.insert(v - 1, this.nameOf(v - 1));
  }
}

/**
 * A `Record<string, VrrpScript>` kept in ScriptColumns. Reading a key builds the script
 * (a new object each time, with its origins), writing one packs it; `valuesOf` walks it
 * one script at a time.
 */
export function packedScripts(origins: Origins): Record<string, VrrpScript> {
  const store = new ScriptColumns(origins);
  const values = () => store.values();
  return new Proxy(Object.create(null) as Record<string, VrrpScript>, {
    get: (_t, k) => (k === LAZY_VALUES ? values : typeof k === "string" ? store.get(k) : undefined),
    set: (_t, k, v) => {
      if (typeof k !== "string") return false;
      store.put(k, v as VrrpScript);
      return true;
    },
    has: (_t, k) => typeof k === "string" && store.has(k),
    deleteProperty: (_t, k) => {
      if (typeof k === "string") store.delete(k);
      return true;
    },
    ownKeys: () => [...store.names()],
    getOwnPropertyDescriptor: (_t, k) => {
      const value = typeof k === "string" ? store.get(k) : undefined;
      return value && { value, writable: true, enumerable: true, configurable: true };
    },
  });
}
