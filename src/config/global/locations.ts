/**
 * Where each global keyword was written, for the cross-block checks in check.ts.
 * `Ctx.origin` records where an *object* was declared; most global settings are plain
 * strings, numbers or flags, so this side table remembers, per model object (the
 * GlobalDefs or the whole config), the location of the last occurrence of each keyword.
 * Keyed weakly by the model object, so it lives exactly as long as the parse result.
 */
import type { SourceLoc } from "../diagnostics";
import type { Handler, Keyword } from "../schema";

const seen = new WeakMap<object, Map<string, SourceLoc>>();

/** The location of `keyword` (keepalived's current spelling) as written for `target`. */
export function keywordLoc(target: object, keyword: string): SourceLoc | undefined {
  return seen.get(target)?.get(keyword);
}

function note(target: object, keyword: string, loc: SourceLoc): void {
  let m = seen.get(target);
  if (!m) {
    m = new Map();
    seen.set(target, m);
  }
  m.set(keyword, loc);
}

/** Wrap every handler of a keyword table so that it records where it was used. */
export function tracked<T extends object>(
  keywords: Record<string, Keyword<T> | Handler<T>>,
): Record<string, Keyword<T>> {
  const out: Record<string, Keyword<T>> = {};
  for (const [kw, k] of Object.entries(keywords)) {
    const parse = typeof k === "function" ? k : k.parse;
    const emit = typeof k === "function" ? undefined : k.emit;
    out[kw] = {
      parse: (c, n, t) => {
        note(t, kw, n.keyword.loc);
        parse(c, n, t);
      },
      ...(emit ? { emit } : {}),
    };
  }
  return out;
}
