/** View 3: vrrp_scripts, track_files, processes and interfaces with their last result. */
import type { TrackerStatus } from "../../src/control/protocol";
import { ago } from "../format";
import { type Model, pageTop, trackerRows } from "../model";
import { Area, Cells, type Col, Empty, Header, layout } from "../ui";

const COLS: Col[] = [
  { id: "kind", title: "KIND", w: 9 },
  { id: "name", title: "NAME", w: 16, grow: 1 },
  { id: "result", title: "RESULT", w: 6 },
  { id: "value", title: "VALUE", w: 6, right: true },
  { id: "last", title: "LAST RESULT", w: 12, right: true, drop: 1 },
  { id: "took", title: "TOOK", w: 7, right: true },
];

function value(id: string, t: TrackerStatus, now: number): string {
  switch (id) {
    case "kind":
      return t.kind;
    case "name":
      return t.name;
    case "result":
      return t.ok ? "ok" : "! FAIL";
    case "value":
      return t.value === undefined ? "-" : String(t.value);
    case "last":
      return ago(t.at, now);
    case "took":
      return t.ms === undefined ? "-" : `${t.ms}ms`;
    default:
      return "";
  }
}

export function TrackersView(p: { m: Model; width: number; height: number }) {
  const { m } = p;
  if (!m.status) return <Empty height={p.height} text="waiting for the daemon's status..." />;
  const rows = trackerRows(m);
  if (rows.length === 0)
    return <Empty height={p.height} text={m.filter ? `no tracker matches "${m.filter}"` : "no trackers"} />;
  const cols = layout(COLS, p.width);
  const h = Math.max(0, p.height - 1);
  const cur = Math.min(m.cursor.trackers, rows.length - 1);
  const top = pageTop(cur, rows.length, h);
  return (
    <Area height={p.height}>
      <Header cols={cols} />
      {rows.slice(top, top + h).map((t, n) => (
        <Cells
          key={`${t.kind}:${t.name}`}
          cols={cols}
          selected={top + n === cur}
          value={(id) => value(id, t, m.now)}
          color={(id) => (id === "result" ? (t.ok ? "green" : "red") : undefined)}
        />
      ))}
    </Area>
  );
}
