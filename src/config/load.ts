/** Choose the reader by extension or `--format`: keepalived.conf text or TOML. */
import { Diagnostics } from "./diagnostics";
import { type ParseOptions, type ParseResult, parseConf } from "./parse";
import { memorySource } from "./source";
import { parseTomlConfig } from "./toml";
import { readTextFile } from "../../native-bindings/file";

export type ConfigFormat = "conf" | "toml";

export function formatOf(path: string, explicit?: string): ConfigFormat {
  if (explicit === "toml" || explicit === "conf") return explicit;
  return path.endsWith(".toml") ? "toml" : "conf";
}

export function loadConfig(path: string, opts: ParseOptions & { format?: ConfigFormat } = {}): ParseResult {
  if (formatOf(path, opts.format) === "conf") {
    const r = parseConf(path, opts);
    // random_seed: keepalived's children read the file again after srandom(seed), so
    // their ${_RANDOM}s are the seed's (lib/parser.c); keel's one process does the same
    const seed = r.config.globalDefs.randomSeed;
    return seed === undefined || opts.randomSeed !== undefined ? r : parseConf(path, { ...opts, randomSeed: seed });
  }
  let text: string;
  try {
    text = readTextFile(path);
  } catch (e) {
    const r = parseConf("<empty>", { ...opts, source: memorySource({ "<empty>": "" }) });
    const diagnostics = new Diagnostics();
    diagnostics.error(
      { file: path, line: 1, col: 1 },
      "file-not-found",
      `cannot read configuration file: ${(e as NodeJS.ErrnoException).code ?? e}`,
    );
    return { ...r, diagnostics };
  }
  return parseTomlConfig(path, text, opts);
}
