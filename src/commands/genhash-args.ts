/**
 * genhash's command line (keepalived 2.2.7 check/check_genhash.c): GNU getopt_long with
 * the optstring ":hvSs:V:p:u:m:P:t:I", so short options cluster (-vS) and take their
 * value attached or next (-s127.0.0.1, -s 127.0.0.1), long options may be abbreviated
 * to a unique prefix and take --opt=value or --opt value, and operands anywhere are an
 * error. Every message is keepalived's.
 */
import { isIP } from "node:net";
import { type GetoptError, type OptionSpec, getopt } from "../base/getopt";

export interface GenhashOptions {
  server: string;
  port: number;
  url: string;
  ssl: boolean;
  sni: boolean;
  virtualhost?: string;
  verbose: boolean;
  fwmark?: number;
  protocol: "1.0" | "1.0C" | "1.1";
  /** -t, in seconds; keepalived's default is no timeout to speak of (UINT_MAX µs) */
  timeoutS?: number;
}

export type ParsedGenhash = { ok: true; value: GenhashOptions } | { ok: false; messages: string[] };

const OPTIONS: OptionSpec[] = [
  { long: "help", short: "h", arg: "none" },
  { long: "verbose", short: "v", arg: "none" },
  { long: "use-ssl", short: "S", arg: "none" },
  { long: "use-sni", short: "I", arg: "none" },
  { long: "server", short: "s", arg: "required" },
  { long: "use-virtualhost", short: "V", arg: "required" },
  { long: "port", short: "p", arg: "required" },
  { long: "url", short: "u", arg: "required" },
  { long: "fwmark", short: "m", arg: "required" },
  { long: "protocol", short: "P", arg: "required" },
  { long: "timeout", short: "t", arg: "required" },
];

/** strtol/strtoul as keepalived uses them: leading blanks, an optional sign, digits, nothing after */
const integer = (s: string): number | undefined => (/^[ \t\n\v\f\r]*[+-]?\d+$/.test(s) ? Number(s.trim()) : undefined);

export function usage(prog: string, amGenhash: boolean): string {
  const p = `${prog}${amGenhash ? "" : " --genhash"}`;
  return `Usage: ${p} COMMAND [OPTIONS]
Commands:
   -s server-address -p port -u url
   -S -s server-address -p port -u url
   -h

Options:
Either long or short options are allowed.
   --use-ssl         -S       Use SSL connection to remote server.
   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).
   --server          -s       Use the specified remote server address.
   --port            -p       Use the specified remote server port.
   --url             -u       Use the specified remote server url.
   --use-virtualhost -V       Use the specified virtualhost in GET query.
   --verbose         -v       Use verbose mode output.
   --help            -h       Display this short inlined help screen.
   --fwmark          -m       Use the specified FW mark.
   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.
                                1.0c means 1.0 with 'Connection: close'
   --timeout         -t       Timeout in seconds
`;
}

/**
 * check_genhash.c's messages for what getopt_long reports (optstring ":..." silences
 * getopt's own): a missing value names the option in full, anything else unknown is the
 * word as written (an ambiguous prefix and a value given to a flag included).
 */
function genhashMessage(e: GetoptError): string {
  if (e.code === "missing-argument") return `Missing parameter for option ${e.canonical}`;
  return `Unknown option ${e.option.startsWith("--") ? e.word : e.option}`;
}

type Draft = Partial<GenhashOptions> & { protocol: GenhashOptions["protocol"]; help?: boolean };

/** One option into `o`; returns an error message that ends parsing (keepalived returns -1 at once), or undefined. */
function applyOption(o: Draft, c: string, arg: string | undefined): string | undefined {
  switch (c) {
    case "h":
      o.help = true;
      return undefined;
    case "v":
      o.verbose = true;
      return undefined;
    case "S":
      o.ssl = true;
      return undefined;
    case "I":
      o.sni = true;
      return undefined;
    case "s": {
      const a = arg ?? "";
      const host = a.split("%")[0] ?? "";
      if (!isIP(host)) return `server should be an IP, not ${a}`;
      o.server = a;
      return undefined;
    }
    case "V":
      o.virtualhost = arg;
      return undefined;
    case "p": {
      const n = integer(arg ?? "");
      if (n === undefined || n <= 0 || n > 65535) return `invalid port number '${arg}'`;
      o.port = n;
      return undefined;
    }
    case "u":
      o.url = arg;
      return undefined;
    case "m": {
      const start = (arg ?? "").replace(/^[ \t]+/, "");
      const n = integer(start);
      const signed = start.startsWith("-") || start.startsWith("+");
      if (n === undefined || signed || n > 0xffffffff) return `invalid fwmark '${arg}'`;
      o.fwmark = n;
      return undefined;
    }
    case "P":
      if (arg === "1.0") o.protocol = "1.0";
      else if (arg === "1.0c" || arg === "1.0C") o.protocol = "1.0C";
      else if (arg === "1.1") o.protocol = "1.1";
      else return `invalid HTTP protocol version '${arg}'`;
      return undefined;
    case "t": {
      const start = (arg ?? "").replace(/^[ \t]+/, "");
      const n = integer(start);
      if (n === undefined || start.startsWith("-") || start === "") return `invalid timeout '${arg}'`;
      o.timeoutS = n;
      return undefined;
    }
  }
  return undefined;
}

/** `argv`: the arguments after the program name (genhash) or after -T/--genhash (keel, keepalived) */
export function parseGenhashArgs(argv: readonly string[], amGenhash = true): ParsedGenhash {
  const o: Draft = { ssl: false, sni: false, verbose: false, protocol: "1.0" };
  const messages: string[] = [];
  const operands: string[] = [];
  let bad = false;
  // keepalived's "Trivial sanity check", argc <= 2: genhash with at most one argument,
  // keepalived -T with none
  if (argv.length <= (amGenhash ? 1 : 0)) return { ok: false, messages };

  for (const it of getopt(argv, OPTIONS)) {
    if (it.kind === "operand") operands.push(it.value);
    else if (it.kind === "error") {
      messages.push(genhashMessage(it.error));
      bad = true;
    } else {
      const e = applyOption(o, OPTIONS.find((s) => s.long === it.long)!.short!, it.value);
      if (e) return { ok: false, messages: [...messages, e] };
    }
  }
  if (bad || o.help) return { ok: false, messages };
  if (operands.length) return { ok: false, messages: [`Unexpected argument(s): ${operands.join(" ")}`] };
  if (o.server === undefined || o.port === undefined || o.url === undefined) return { ok: false, messages };
  return { ok: true, value: o as GenhashOptions };
}
