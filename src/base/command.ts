/**
 * A configured command line split into words as keepalived does (lib/parser.c
 * alloc_strvec_quoted_escaped): whitespace separates, '…' and "…" group, a backslash
 * escapes the next character. Used to run scripts (src/runtime/exec.ts) and to show them
 * as keepalived does (src/snmp).
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "\\" && i + 1 < command.length) {
      cur += command[++i];
      inWord = true;
    } else if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === " " || c === "\t") {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}
