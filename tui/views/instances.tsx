/** View 1: one line per VRRP instance. */
import type { InstanceStatus } from "../../src/control/protocol";
import { Text } from "ink";
import { memo } from "react";
import { age, clock, count, prioText, span, staleLabel, stateColor, stateLabel } from "../format";
import { holdMark } from "../ops";
import { instancesPage } from "../frame";
import type { Model } from "../model";
import { Area, C, Cells, type Col, Empty, Header, layout, sameCols, sizeToContent } from "../ui";

export { prioText } from "../format";

const COLS: Col[] = [
  { id: "name", title: "INSTANCE", w: 11, grow: 1, max: 20 },
  { id: "if", title: "IF", w: 4, drop: 3, fit: true },
  { id: "vrid", title: "VRID", w: 4, right: true, fit: true },
  { id: "state", title: "STATE", w: 8, fit: true },
  { id: "prio", title: "PRIO", w: 4, fit: true },
  { id: "moved", title: "MOVED BY", w: 16, drop: 5, minWidth: 150 },
  { id: "master", title: "MASTER", w: 8, drop: 1, fit: true },
  { id: "vips", title: "VIPS", w: 14, grow: 4 },
  { id: "in", title: "IN STATE", w: 8, drop: 2, right: true, fit: true },
  { id: "rxtx", title: "RX/TX", w: 7, drop: 4, right: true, minWidth: 110, fit: true },
  { id: "err", title: "ERR", w: 3, right: true, fit: true },
];

/** The trackers that moved the priority or fault the instance: "chk_http-10 eth1!" */
export function movedBy(i: InstanceStatus): string {
  return (i.trackers ?? [])
    .filter((t) => t.weight !== 0 || !t.ok)
    .map((t) => `${t.name}${t.weight ? (t.weight > 0 ? `+${t.weight}` : t.weight) : ""}${t.ok ? "" : "!"}`)
    .join(" ");
}

function value(id: string, i: InstanceStatus, now: number, stale: boolean): string {
  switch (id) {
    case "name":
      return i.name;
    case "if":
      return i.interface ?? "-";
    case "vrid":
      return String(i.vrid);
    case "state":
      // an operator's hold (maintenance, switchover) is part of why it is in this state
      return `${stale ? staleLabel(i.state) : stateLabel(i.state)}${holdMark(i.holds)}`;
    case "prio":
      return prioText(i);
    case "moved":
      return movedBy(i) || "-";
    case "master":
      return i.master ?? "-";
    case "vips":
      return i.vips.join(",") || "-";
    case "in":
      return i.lastTransition ? age(now - i.lastTransition.at) : "-";
    case "rxtx":
      return `${count(i.advertsReceived)}/${count(i.advertsSent)}`;
    case "err":
      return String(i.errors);
    default:
      return "";
  }
}

/** Everything a row shows but IN STATE, as one string: a copy of the instance that shows the same is the same row. */
function shownText(i: InstanceStatus, cols: Col[], stale: boolean): string {
  let s = "";
  for (const c of cols) if (c.id !== "in") s += `${value(c.id, i, 0, stale)}\u0000`;
  return s;
}

/**
 * One row, drawn again only when what it shows changed: its text (the reducer copies the
 * rows an event or a counters poll changed, but a counter's text changes far less often
 * than the counter: format.ts count), columns, selection, staleness or its IN STATE span
 * (the clock's only effect on a row). Most frames of a 1,000-instance table change a few
 * of its ~48 rows (issue 20).
 */
const InstanceRow = memo(
  function InstanceRow(p: { i: InstanceStatus; cols: Col[]; selected: boolean; stale: boolean; inState: string }) {
    const { i, stale } = p;
    return (
      <Cells
        cols={p.cols}
        selected={p.selected}
        dim={stale}
        value={(id) => (id === "in" ? p.inState : value(id, i, 0, stale))}
        color={(id) => (id === "state" ? stateColor(i.state) : id === "err" && i.errors > 0 ? "red" : undefined)}
      />
    );
  },
  (a, b) =>
    a.selected === b.selected &&
    a.stale === b.stale &&
    a.inState === b.inState &&
    sameCols(a.cols, b.cols) &&
    (a.i === b.i || shownText(a.i, a.cols, a.stale) === shownText(b.i, b.cols, b.stale)),
);

export function InstancesView(p: { m: Model; width: number; height: number }) {
  const { m } = p;
  const { rows, stale, cur, top, visible } = instancesPage(m, p.height);
  if (!m.status) return <Empty height={p.height} text="waiting for the daemon's status..." />;
  if (rows.length === 0)
    return <Empty height={p.height} text={m.filter ? `no instance matches "${m.filter}"` : "no VRRP instances"} />;
  const val = (id: string, i: InstanceStatus) => value(id, i, m.now, stale);
  const cols = layout(sizeToContent(COLS, visible, val), p.width);
  return (
    <Area height={p.height}>
      {stale ? (
        <Text wrap="truncate-end">
          <C color="red" bold>
            {` STALE: no answer since ${m.seenAt ? `${clock(m.seenAt)} (${span(m.now - m.seenAt)} ago)` : "-"}; the last known state, not a live one`}
          </C>
        </Text>
      ) : null}
      <Header cols={cols} />
      {visible.map((i, n) => (
        <InstanceRow
          key={i.name}
          i={i}
          cols={cols}
          selected={top + n === cur}
          stale={stale}
          inState={i.lastTransition ? val("in", i) : "-"}
        />
      ))}
    </Area>
  );
}
