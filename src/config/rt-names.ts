/**
 * The iproute2 name files (rt_tables, rt_protos, rt_realms, rt_scopes, rt_dsfield) as
 * keepalived reads them (lib/rttables.c; 2.4.3's layout, which 2.2.7's is a part of):
 *
 * - a line is `NUMBER NAME`; '#' starts a comment; a line without exactly two fields,
 *   or whose number is negative, not a number (strtoul base 0: 0x hex, 0 octal) or above
 *   the kind's maximum, is skipped (keel also says so, naming file:line);
 * - the file is `<etc>/<kind>`, else `<usr>/<kind>`; then every `*.conf` regular file of
 *   `<usr>/<kind>.d` that `<etc>/<kind>.d` does not shadow, then those of `<etc>/<kind>.d`;
 *   when neither directory exists nothing is read;
 * - the built-in entries (tables default/main/local, the kernel's protocols, the scopes)
 *   are added for every number the files did not name; the first entry with a name wins;
 * - a name that is a number (base 0) is that number when within the maximum.
 *
 * The files are read through `RtFileAccess` (the host's, or a test's), once per kind.
 */

export type RtKind = "rt_tables" | "rt_protos" | "rt_realms" | "rt_scopes" | "rt_dsfield";

/** keepalived's `max` per kind: RT_TABLE_MAX, then 255 for the 8-bit fields (realms too) */
const MAX: Record<RtKind, number> = {
  rt_tables: 0xffffffff,
  rt_protos: 255,
  rt_realms: 255,
  rt_scopes: 255,
  rt_dsfield: 255,
};

/** rttables.c rttable_default, rtprot_default, rtscope_default (rt_realms, rt_dsfield: none) */
const DEFAULTS: Record<RtKind, readonly (readonly [number, string])[]> = {
  rt_tables: [
    [253, "default"],
    [254, "main"],
    [255, "local"],
  ],
  rt_protos: [
    [0, "none"],
    [1, "redirect"],
    [2, "kernel"],
    [3, "boot"],
    [4, "static"],
    [8, "gated"],
    [9, "ra"],
    [10, "mrt"],
    [11, "zebra"],
    [12, "bird"],
    [42, "babel"],
    [13, "dnrouted"],
    [14, "xorp"],
    [15, "ntk"],
    [16, "dhcp"],
  ],
  rt_realms: [],
  rt_scopes: [
    [0, "global"],
    [255, "nowhere"],
    [254, "host"],
    [253, "link"],
    [200, "site"],
  ],
  rt_dsfield: [],
};

/** keepalived's defaults when global_defs does not set iproute_etc_dir / iproute_usr_dir */
export const IPROUTE_ETC_DIR = "/etc/iproute2";
export const IPROUTE_USR_DIR = "/usr/share/iproute2";

export interface RtEntry {
  id: number;
  name: string;
}

/** A line keepalived skips, said where it is. */
export interface RtFileProblem {
  file: string;
  line: number;
  reason: string;
}

/** How the files are reached: the host's filesystem, or a test's. */
export interface RtFileAccess {
  /** the text of a regular file; undefined when there is none */
  readFile(path: string): string | undefined;
  /** the names in a directory; undefined when it is not one */
  listDir(path: string): string[] | undefined;
  /** whether anything (of any type) is at the path */
  exists(path: string): boolean;
  isDir(path: string): boolean;
}

/** strtoul(s, &end, 0) that must consume the whole string; undefined otherwise (and for '-'). */
export function parseCNumber(s: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return Number.parseInt(s.slice(2), 16);
  if (/^0[0-7]*$/.test(s)) return Number.parseInt(s, 8);
  if (/^[1-9]\d*$/.test(s)) return Number(s);
  return undefined;
}

/** One file's entries in order, and the lines skipped (rttables.c read_file). */
export function parseRtFile(
  text: string,
  file: string,
  max: number,
): { entries: RtEntry[]; problems: RtFileProblem[] } {
  const entries: RtEntry[] = [];
  const problems: RtFileProblem[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const hash = (lines[i] as string).indexOf("#");
    const body = hash < 0 ? (lines[i] as string) : (lines[i] as string).slice(0, hash);
    const fields = body.split(/[ \t]+/).filter((f) => f !== "");
    if (fields.length === 0) continue;
    const at = { file, line: i + 1 };
    if (fields.length !== 2) {
      problems.push({ ...at, reason: `expected 'NUMBER NAME', found ${fields.length} field(s); line skipped` });
      continue;
    }
    const [number, name] = fields as [string, string];
    const id = parseCNumber(number);
    if (id === undefined || id > max) {
      const why = id === undefined ? "is not a number" : `is above ${max}`;
      problems.push({ ...at, reason: `'${number}' ${why}; line skipped` });
      continue;
    }
    entries.push({ id, name });
  }
  return { entries, problems };
}

export interface RtDirs {
  etc: string;
  /** "" or undefined: none (keepalived built without IPROUTE_USR_DIR) */
  usr?: string;
}

/** The `.conf` regular files of a `.d` directory, in name order (readdir's order is the filesystem's). */
function confFiles(fs: RtFileAccess, dir: string): string[] {
  const names = fs.listDir(dir) ?? [];
  return names.filter((n) => !n.startsWith(".") && n.length > 5 && n.endsWith(".conf")).sort();
}

/** The files of one kind, in the order keepalived reads them (rttables.c initialise_list). */
export function rtFilesOf(kind: RtKind, dirs: RtDirs, fs: RtFileAccess): string[] {
  const usr = dirs.usr || undefined;
  if (!(usr !== undefined && fs.isDir(usr)) && !fs.isDir(dirs.etc)) return [];
  const files: string[] = [];
  const etcMain = `${dirs.etc}/${kind}`;
  if (fs.readFile(etcMain) !== undefined) files.push(etcMain);
  else if (usr !== undefined && fs.readFile(`${usr}/${kind}`) !== undefined) files.push(`${usr}/${kind}`);
  if (usr !== undefined)
    for (const n of confFiles(fs, `${usr}/${kind}.d`))
      if (!fs.exists(`${dirs.etc}/${kind}.d/${n}`)) files.push(`${usr}/${kind}.d/${n}`);
  for (const n of confFiles(fs, `${dirs.etc}/${kind}.d`)) files.push(`${dirs.etc}/${kind}.d/${n}`);
  return files;
}

/** The names of each kind, read on first use. */
export class RtNames {
  private readonly lists = new Map<RtKind, RtEntry[]>();
  /** lines skipped in the files read so far */
  readonly problems: RtFileProblem[] = [];

  constructor(
    private readonly dirs: RtDirs,
    private readonly fs: RtFileAccess,
  ) {}

  /** The number a name or number stands for; undefined when unknown or above the kind's maximum. */
  find(kind: RtKind, name: string): number | undefined {
    const n = parseCNumber(name);
    if (n !== undefined) return n <= MAX[kind] ? n : undefined;
    return this.list(kind).find((e) => e.name === name)?.id;
  }

  /** Every entry of a kind, files first, then the defaults the files left out. */
  list(kind: RtKind): readonly RtEntry[] {
    let l = this.lists.get(kind);
    if (l) return l;
    l = [];
    for (const file of rtFilesOf(kind, this.dirs, this.fs)) {
      const r = parseRtFile(this.fs.readFile(file) ?? "", file, MAX[kind]);
      l.push(...r.entries);
      this.problems.push(...r.problems);
    }
    for (const [id, name] of DEFAULTS[kind]) if (!l.some((e) => e.id === id)) l.push({ id, name });
    this.lists.set(kind, l);
    return l;
  }
}

/** No files at all: the built-in names only (a host keel cannot read, a test's). */
export const NO_RT_FILES: RtFileAccess = {
  readFile: () => undefined,
  listDir: () => undefined,
  exists: () => false,
  isDir: () => false,
};
