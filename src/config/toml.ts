/**
 * The TOML form of the configuration: the camelCase model itself (DESIGN.md rule 5),
 * serialised with smol-toml. Reading TOML goes model → keepalived.conf (through the
 * keyword tables' emitters) → the conf parser, so TOML gets exactly the validation and
 * defaults that keepalived.conf gets; diagnostics are mapped back to TOML lines.
 */
import { TomlError, parse as tomlParse, stringify as tomlStringify } from "smol-toml";
import { type Diagnostic, Diagnostics, didYouMean } from "./diagnostics";
import { type KeelConfig, createConfig } from "./model";
import { type ParseOptions, type ParseResult, emitConf, parseConf } from "./parse";
import { memorySource } from "./source";

/** The resolved model as TOML (undefined fields dropped; defaults are written out). */
export function toToml(config: KeelConfig): string {
  const plain = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  return `# keel configuration (TOML form of keepalived.conf; keys are keel's model names)\n${tomlStringify(plain)}\n`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** First line of the TOML text that mentions `needle` (1-based), for mapping diagnostics. */
function findLine(lines: string[], ...needles: string[]): { line: number; col: number } {
  for (const needle of needles) {
    if (!needle) continue;
    for (let i = 0; i < lines.length; i++) {
      const col = (lines[i] as string).indexOf(needle);
      if (col >= 0) return { line: i + 1, col: col + 1 };
    }
  }
  return { line: 1, col: 1 };
}

/**
 * Keys in the TOML that the model does not have are mistakes the conf path cannot
 * see (the emitter never writes them), so compare the two trees here.
 */
function unknownKeys(input: unknown, model: unknown, path: string[], out: { path: string[]; guess?: string }[]): void {
  if (Array.isArray(input) && Array.isArray(model)) {
    input.forEach((v, i) => unknownKeys(v, model[i], [...path, String(i)], out));
    return;
  }
  if (!isObject(input) || !isObject(model)) return;
  for (const [k, v] of Object.entries(input)) {
    // own keys only: `constructor = 1` is as unknown as any other misspelling
    if (!Object.hasOwn(model, k)) out.push({ path: [...path, k], guess: didYouMean(k, Object.keys(model)) });
    else unknownKeys(v, model[k], [...path, k], out);
  }
}

/**
 * In TOML a named block is a table key (`[vrrpInstances.VI_1]`), so its `name` field
 * is redundant and hand-written files leave it out: take it from the key. Named-block
 * maps are the top-level fields whose default is an empty record.
 */
function nameNamedBlocks(doc: Record<string, unknown>): void {
  const defaults = createConfig() as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(doc)) {
    const d = defaults[key];
    if (!isObject(d) || Object.keys(d).length > 0 || !isObject(value)) continue;
    for (const [name, block] of Object.entries(value))
      if (isObject(block) && block.name === undefined) block.name = name;
  }
}

export function parseTomlConfig(path: string, text: string, opts: ParseOptions = {}): ParseResult {
  const lines = text.split("\n");
  let doc: Record<string, unknown>;
  try {
    doc = tomlParse(text) as Record<string, unknown>;
  } catch (e) {
    const diagnostics = new Diagnostics();
    if (e instanceof TomlError)
      diagnostics.error(
        { file: path, line: e.line, col: e.column },
        "toml-syntax",
        (e.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, ""),
      );
    else diagnostics.error({ file: path, line: 1, col: 1 }, "toml-syntax", String(e));
    const empty = parseConf("<empty>", { ...opts, source: memorySource({ "<empty>": "" }) });
    return { ...empty, diagnostics };
  }
  nameNamedBlocks(doc);
  const conf = emitConf(doc as unknown as KeelConfig);
  const virtual = `${path} (as keepalived.conf)`;
  const result = parseConf(virtual, { ...opts, source: memorySource({ [virtual]: conf }) });
  const confLines = conf.split("\n");
  const mapped = result.diagnostics.map((d) => mapDiagnostic(d, path, virtual, confLines, lines));
  const unknown: { path: string[]; guess?: string }[] = [];
  unknownKeys(doc, result.config, [], unknown);
  for (const u of unknown) {
    const key = u.path[u.path.length - 1] as string;
    const at = findLine(lines, `${key} =`, `${key}=`, `.${key}]`, key);
    mapped.error(
      { file: path, ...at },
      "unknown-key",
      `unknown key '${u.path.join(".")}'${u.guess ? `; did you mean '${u.guess}'?` : ""}`,
    );
  }
  return { ...result, diagnostics: mapped };
}

function mapDiagnostic(
  d: Diagnostic,
  path: string,
  virtual: string,
  confLines: string[],
  tomlLines: string[],
): Diagnostic {
  if (d.file !== virtual) return d;
  const confLine = (confLines[d.line - 1] ?? "").trim();
  const token = confLine.slice(d.col - 1 - (confLines[d.line - 1] ?? "").search(/\S|$/)).split(/\s/)[0] ?? "";
  const at = findLine(tomlLines, token.replace(/^"|"$/g, ""));
  return {
    ...d,
    file: path,
    line: at.line,
    col: at.col,
    message: `${d.message} (keepalived.conf form: '${confLine}')`,
  };
}
