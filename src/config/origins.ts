/**
 * Where model objects were declared (file, line, column), for cross-block checks, `keel -t`'s
 * script-security lines and runtime messages, and in which order they were declared.
 *
 * A configuration of 200,000 vrrp_script blocks records two origins a block. Kept as a
 * `WeakMap<object, SourceLoc>` with a `WeakMap<object, number>` for the order beside it, that
 * cost ~300 bytes a block of live heap (three WeakMap entries and two SourceLoc objects),
 * which the collector's headroom doubles in RSS. Here an origin is one row of two
 * Uint32Array columns, line and column (8 bytes; the file is kept once per run of rows),
 * and an object knows its row through a non-enumerable property keyed by a symbol of its
 * own table: invisible to JSON, structuredClone, spreads, Object.keys and toEqual. It keeps
 * nothing alive (a number, not a reference), so the model stays plain data, and two tables
 * (a reload's new parse, an empty one) never see each other's rows.
 */
import type { SourceLoc } from "./diagnostics";
import type { KeelConfig } from "./model";

export class Origins {
  /** each table's own key: another table's rows are not this one's */
  private readonly key = Symbol("origin");
  private readonly files: string[] = [];
  private readonly fileIds = new Map<string, number>();
  /**
   * The file of each row as runs: rows from `runRow[k]` on are in `runFile[k]`. Rows come
   * in reading order, so a file's lines are one run until an include interrupts them.
   */
  private readonly runRow: number[] = [];
  private readonly runFile: number[] = [];
  private lineOf = new Uint32Array(64);
  private colOf = new Uint32Array(64);
  private rows = 0;

  /** Record (or move) where `o` was declared. Its `order` becomes the latest. */
  set(o: object, loc: SourceLoc): this {
    const row = this.rows++;
    if (row === this.lineOf.length) this.grow();
    let file = this.fileIds.get(loc.file);
    if (file === undefined) {
      file = this.files.length;
      this.files.push(loc.file);
      this.fileIds.set(loc.file, file);
    }
    if (this.runFile[this.runFile.length - 1] !== file) {
      this.runRow.push(row);
      this.runFile.push(file);
    }
    // lines and columns past 2^32 cannot come from a file keel reads (a string is shorter)
    this.lineOf[row] = loc.line;
    this.colOf[row] = loc.col;
    this.attach(o, row);
    return this;
  }

  /**
   * Give `o` the origin of a row recorded before: an object rebuilt from packed columns
   * (src/config/packed-scripts.ts) is the object it was packed from, declared there.
   */
  attach(o: object, row: number): void {
    if (Object.hasOwn(o, this.key)) (o as Record<symbol, number>)[this.key] = row;
    else Object.defineProperty(o, this.key, { value: row, writable: true, enumerable: false, configurable: true });
  }

  /** Where `o` was declared (a new object each time), or undefined when it was not recorded. */
  get(o: object): SourceLoc | undefined {
    const row = this.row(o);
    if (row === undefined) return undefined;
    return { file: this.fileOfRow(row), line: this.lineOf[row] as number, col: this.colOf[row] as number };
  }

  has(o: object): boolean {
    return this.row(o) !== undefined;
  }

  /**
   * Declaration order: of two objects, the one recorded later has the larger number
   * (keepalived resolves some references in file order while it reads). Undefined when
   * `o` has no origin.
   */
  order(o: object): number | undefined {
    return this.row(o);
  }

  private row(o: object): number | undefined {
    // like WeakMap.get: a value that is not an object (an absent optional field) has none
    if (o === null || (typeof o !== "object" && typeof o !== "function")) return undefined;
    return (o as Record<symbol, number | undefined>)[this.key];
  }

  /** the last run starting at or before `row` */
  private fileOfRow(row: number): string {
    const starts = this.runRow;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= row) lo = mid;
      else hi = mid - 1;
    }
    return this.files[this.runFile[lo] as number] as string;
  }

  /** by half again, not double: the table of a big configuration is most of what it keeps here */
  private grow(): void {
    const n = Math.ceil(this.lineOf.length * 1.5);
    const more = (a: Uint32Array) => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    this.lineOf = more(this.lineOf);
    this.colOf = more(this.colOf);
  }
}

/** A configuration as read, and where its objects were declared (absent: nowhere to say). */
export interface Positions {
  config: KeelConfig;
  origins?: Origins;
}

/**
 * Where an instance's keyword was written, found by name in the configuration as read (a
 * copy of it, structuredClone's, has objects of its own and no origins).
 */
export function keywordAt(read: Positions | undefined, instance: string, keyword: "use_vmac"): SourceLoc | undefined {
  const v = read?.config.vrrpInstances[instance];
  const made = keyword === "use_vmac" ? v?.useVmac : undefined;
  return made && read?.origins?.get(made);
}
