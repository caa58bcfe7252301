/**
 * Tokens and the block tree. keepalived splits a line into words at blanks; a word
 * starting with `"` runs to the next `"` and is one token (alloc_strvec). `{` and `}`
 * outside quotes are tokens of their own wherever they stand (read_line's residue
 * split), so `track_script { chk }` on one line and a `{` on the next line both work.
 */
import type { Diagnostics, SourceLoc } from "./diagnostics";
import { formatLoc } from "./diagnostics";
import type { LogicalLine } from "./preprocess";

export interface Token {
  text: string;
  quoted: boolean;
  loc: SourceLoc;
}

export interface Node {
  keyword: Token;
  args: Token[];
  /** present when the statement is followed by `{ ... }` */
  block?: Node[];
  /** where the block's `{` stands */
  open?: SourceLoc;
}

interface Brace {
  brace: "{" | "}";
  loc: SourceLoc;
}
export type Lexeme = Token | Brace | "\n";

/** blank, tab, `"`, `{` or `}`: what ends an unquoted word */
function isWordEnd(c: number): boolean {
  return c === 32 || c === 9 || c === 34 || c === 123 || c === 125;
}

/**
 * A token's text as the model may keep it. A slice is a view into the text it was cut
 * from, and that is the whole file's text here: a model keeping names and commands kept
 * the file too. Looked up as a property key, a string is made an atom by JSC: it then holds
 * its own characters, shared by every equal text (200,000 vrrp_scripts running "/bin/true"
 * keep one copy). Nothing is stored: the table stays empty.
 */
const ATOMS: Readonly<Record<string, unknown>> = Object.create(null);
function detach(text: string): string {
  Object.hasOwn(ATOMS, text);
  return text;
}

/** A letter, digit or `_`: what a `$NAME` definition's name is made of (preprocess.ts) */
function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

export function tokenize(line: LogicalLine, diags: Diagnostics, out: Lexeme[] = []): Lexeme[] {
  const s = line.text;
  let cursor = 0;
  let i = 0;
  const { file, line: lineNo, raw } = line;
  /** the column of `search` in the physical line (best effort after substitution) */
  const colOf = (search: string): number => {
    const at = search === "" ? -1 : raw.indexOf(search, cursor);
    if (at < 0) return raw.length - raw.trimStart().length + 1;
    cursor = at + search.length;
    return at + 1;
  };
  const mk = (text: string, quoted: boolean, search: string): Token => {
    const col = colOf(search);
    return { text: detach(text), quoted, loc: { file, line: lineNo, col } };
  };
  while (i < s.length) {
    const ch = s[i] as string;
    if (ch === " " || ch === "\t") {
      i++;
      continue;
    }
    if (ch === "{" || ch === "}") {
      out.push({ brace: ch, loc: { file, line: lineNo, col: colOf(ch) } });
      i++;
      continue;
    }
    if (ch === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) {
        const t = mk(s.slice(i + 1), true, s.slice(i));
        diags.error(t.loc, "unterminated-quote", "unterminated quote");
        out.push(t);
        break;
      }
      out.push(mk(s.slice(i + 1, end), true, s.slice(i, end + 1)));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < s.length) {
      // An undefined `${NAME}` is left as written (the preprocessor warns): one word here,
      // where keepalived splits it at its braces, skips the `{` and lets the `}` close the
      // enclosing block. keepalived still exits 0 for such a file (read without `-i`, a
      // definition that only an `@id` line makes); keel takes it too, with the warning,
      // instead of refusing a block after a keyword that takes none.
      if (s.charCodeAt(j) === 36 && s.charCodeAt(j + 1) === 123) {
        let k = j + 2;
        while (k < s.length && isNameChar(s.charCodeAt(k))) k++;
        if (k > j + 2 && s.charCodeAt(k) === 125) {
          j = k + 1;
          continue;
        }
      }
      if (isWordEnd(s.charCodeAt(j))) break;
      j++;
    }
    const word = s.slice(i, j);
    out.push(mk(word, false, word));
    i = j;
  }
  out.push("\n");
  return out;
}

/**
 * Build the tree. A statement is the tokens up to a line end or brace; a `{` opens
 * a block on the statement just before it (same line or an earlier line).
 */
export function buildTree(
  lines: LogicalLine[],
  diags: Diagnostics,
  topLevelOnly: ReadonlySet<string> = new Set(),
): Node[] {
  const b = new TreeBuilder(diags, topLevelOnly);
  for (const l of lines) b.line(l);
  return b.end();
}

type Frame = { nodes: Node[]; owner?: Node };

/**
 * The tree built one logical line at a time. With `onTopLevel`, each top-level statement
 * is handed over once it is complete (when the next one starts: its `{` may stand on a
 * later line) and not kept, so a big configuration is never held as a whole tree.
 */
export class TreeBuilder {
  private readonly root: Node[] = [];
  private readonly stack: Frame[] = [{ nodes: this.root }];
  private current: Token[] = [];
  private readonly lex: Lexeme[] = [];
  private last: LogicalLine | undefined;

  constructor(
    private readonly diags: Diagnostics,
    private readonly topLevelOnly: ReadonlySet<string> = new Set(),
    private readonly onTopLevel?: (n: Node) => void,
  ) {}

  line(l: LogicalLine): void {
    const lex = tokenize(l, this.diags, this.lex);
    this.feed(l, lex);
    lex.length = 0;
  }

  /** The tokens of one line, tokenized by the caller (who may report its errors apart). */
  feed(l: LogicalLine, lex: readonly Lexeme[]): void {
    this.last = l;
    for (const x of lex) this.lexeme(x);
  }

  /** Close what is still open; returns the top-level statements (none when streamed). */
  end(): Node[] {
    const { stack, diags } = this;
    this.flush();
    while (stack.length > 1) {
      const frame = stack.pop() as Frame;
      const owner = frame.owner as Node;
      const last = this.last;
      const eof = last ? { file: last.file, line: last.line, col: last.raw.length + 1 } : owner.keyword.loc;
      diags.error(
        eof,
        "unclosed-block",
        `'${owner.keyword.text}' block is not closed before the end of the configuration`,
        [`the block was opened here: ${formatLoc(owner.open as SourceLoc)}`],
      );
    }
    if (this.onTopLevel) for (const n of this.root.splice(0)) this.onTopLevel(n);
    return this.root;
  }

  /**
   * Hand over a top-level statement whose block has closed: it can take nothing more, so
   * its handlers may run now rather than when the next statement starts (parse.ts does
   * this before an include, which global_defs include_check governs from where it stands).
   */
  settle(): void {
    const last = this.root[this.root.length - 1];
    if (this.onTopLevel && this.stack.length === 1 && this.current.length === 0 && last?.block)
      this.onTopLevel(this.root.pop() as Node);
  }

  private push(frame: Frame, n: Node): void {
    frame.nodes.push(n);
    // the statement before this one can no longer take a block: hand it over
    if (frame.nodes === this.root && this.onTopLevel && this.root.length > 1) {
      this.onTopLevel(this.root.shift() as Node);
    }
  }

  private flush(): void {
    if (this.current.length === 0) return;
    const args = this.current;
    const keyword = args.shift() as Token;
    this.push(this.stack[this.stack.length - 1] as Frame, { keyword, args });
    this.current = [];
  }

  private lexeme(x: Lexeme): void {
    const { stack, diags } = this;
    if (x === "\n") {
      this.flush();
      return;
    }
    if (!("brace" in x)) {
      this.current.push(x);
      return;
    }
    this.flush();
    if (x.brace === "}") {
      if (stack.length === 1) diags.error(x.loc, "extra-brace", "'}' closes no block");
      else stack.pop();
      return;
    }
    let frame = stack[stack.length - 1] as Frame;
    let owner = frame.nodes[frame.nodes.length - 1];
    if (owner && !owner.block && stack.length > 1 && this.topLevelOnly.has(owner.keyword.text)) {
      // A block that only exists at the top level opens inside another one: the '}'s
      // before it are missing. Say so at each unclosed opener and recover at the top,
      // instead of reading the rest of the file as the wrong block's contents.
      frame.nodes.pop();
      while (stack.length > 1) {
        const open = (stack.pop() as Frame).owner as Node;
        diags.error(open.open as SourceLoc, "unclosed-block", `'${open.keyword.text}' block is not closed`, [
          `'${owner.keyword.text}' at ${formatLoc(owner.keyword.loc)} starts a new top-level block, so a '}' is missing before it`,
        ]);
      }
      frame = stack[0] as Frame;
      this.push(frame, owner);
    }
    if (!owner || owner.block) {
      diags.error(x.loc, "unexpected-brace", "'{' without a keyword before it");
      owner = { keyword: { text: "{", quoted: false, loc: x.loc }, args: [] };
    }
    owner.block = [];
    owner.open = x.loc;
    stack.push({ nodes: owner.block, owner });
  }
}
