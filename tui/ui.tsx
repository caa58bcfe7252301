/** Shared bits of the views: colour on/off, one-line rows, column layout. */
import { Box, Text } from "ink";
import { createContext, type ReactNode, useContext } from "react";
import { fit, fitRight } from "./format";

/** false under NO_COLOR: no colour and no inverse, states still read as text + marker. */
export const ColorContext = createContext(true);
export const useColor = () => useContext(ColorContext);

/** Coloured text when colour is on; plain text otherwise. */
export function C(p: { color?: string; bold?: boolean; dim?: boolean; children: ReactNode }) {
  const on = useColor();
  if (!on) return <Text>{p.children}</Text>;
  return (
    <Text color={p.color} bold={p.bold} dimColor={p.dim}>
      {p.children}
    </Text>
  );
}

/** One terminal line: never wraps (cut at the edge). A selected line is inverse (colour) and marked ">" (always). */
export function Line(p: { selected?: boolean; children?: ReactNode }) {
  const on = useColor();
  return (
    <Text wrap="truncate-end" inverse={on && p.selected === true}>
      {p.selected ? ">" : " "}
      {p.children}
    </Text>
  );
}

/**
 * A body area of exactly `height` lines. Clipped vertically only: its lines are `Line`s that
 * truncate themselves at the width, and a horizontal clip makes Ink slice every line again
 * per frame (issue 20).
 */
export function Area(p: { height: number; children?: ReactNode }) {
  return (
    <Box flexDirection="column" height={p.height} overflowY="hidden">
      {p.children}
    </Box>
  );
}

export interface Col {
  id: string;
  title: string;
  /** width (minimum for growing columns) */
  w: number;
  /** share of the spare width this column takes (0: fixed) */
  grow?: number;
  /** growing columns stop here */
  max?: number;
  /** higher: dropped first when the line is too narrow; undefined: never */
  drop?: number;
  right?: boolean;
  /** shown only when the line is at least this wide */
  minWidth?: number;
  /** sized to its content (sizeToContent), `w` at least */
  fit?: boolean;
}

/**
 * Columns marked `fit` as wide as their title and the widest value among `rows` (the rows
 * on screen: a page of a 1,000-instance table costs the same as a short one), so "101->91"
 * or a long interface name is never cut while the terminal has room.
 */
export function sizeToContent<R>(cols: Col[], rows: readonly R[], value: (id: string, r: R) => string): Col[] {
  return cols.map((c) => {
    if (!c.fit) return c;
    let w = Math.max(c.w, c.title.length);
    for (const r of rows) w = Math.max(w, value(c.id, r).length);
    return w === c.w ? c : { ...c, w };
  });
}

/** Widths for `cols` in `width` columns (1 column gap between cells, 1 for the selection marker). */
export function layout(cols: Col[], width: number): Col[] {
  let shown = cols.filter((c) => c.minWidth === undefined || width >= c.minWidth);
  const need = (cs: Col[]) => cs.reduce((n, c) => n + c.w + 1, 1);
  while (need(shown) > width) {
    const droppable = shown.filter((c) => c.drop !== undefined);
    if (droppable.length === 0) break;
    const worst = droppable.reduce((a, b) => (b.drop! > a.drop! ? b : a));
    shown = shown.filter((c) => c !== worst);
  }
  let spare = width - need(shown);
  const growing = shown.filter((c) => c.grow);
  const out = shown.map((c) => ({ ...c }));
  // hand the spare columns out one by one, in grow proportion, respecting max
  let guard = 10000;
  while (spare > 0 && guard-- > 0) {
    const can = out.filter((c) => c.grow && (c.max === undefined || c.w < c.max));
    if (can.length === 0 || growing.length === 0) break;
    for (const c of can) {
      const give = Math.min(spare, c.grow ?? 1);
      c.w += give;
      spare -= give;
      if (spare <= 0) break;
    }
  }
  return out;
}

/** The same column layout (ids, widths, alignment): `layout` returns new objects every render. */
export function sameCols(a: readonly Col[], b: readonly Col[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((c, n) => c.id === b[n]?.id && c.w === b[n]?.w && c.right === b[n]?.right);
}

export function cell(c: Col, s: string): string {
  return c.right ? fitRight(s, c.w) : fit(s, c.w);
}

/** The header line of a table. */
export function Header(p: { cols: Col[] }) {
  return (
    <Text wrap="truncate-end" bold>
      {" "}
      {p.cols.map((c) => `${cell(c, c.title)} `).join("")}
    </Text>
  );
}

export function Empty(p: { height: number; text: string }) {
  return (
    <Area height={p.height}>
      <Text wrap="truncate-end"> {p.text}</Text>
    </Area>
  );
}

/**
 * A table row: cells joined into as few text nodes as possible (only coloured cells are
 * nodes of their own). Ink's cost per frame grows with the nodes, and a 1,000-instance
 * table redraws a screenful four times a second.
 */
export function Cells(p: {
  cols: Col[];
  value: (id: string) => string;
  color?: (id: string) => string | undefined;
  selected?: boolean;
  /** the row is not live (stale): every cell grey */
  dim?: boolean;
}) {
  const segs: { key: string; text: string; color?: string }[] = [];
  for (const c of p.cols) {
    const text = `${cell(c, p.value(c.id))} `;
    const color = p.dim ? "gray" : p.color?.(c.id);
    const last = segs[segs.length - 1];
    if (last && last.color === color) last.text += text;
    else segs.push({ key: c.id, text, color });
  }
  return (
    <Line selected={p.selected}>
      {segs.map((s) =>
        s.color ? (
          <C key={s.key} color={s.color}>
            {s.text}
          </C>
        ) : (
          s.text
        ),
      )}
    </Line>
  );
}
