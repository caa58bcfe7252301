/** View 1: one line per VRRP instance. */
import type { InstanceStatus } from "../../src/control/protocol";
import { span, stateColor, stateLabel } from "../format";
import { instanceRows, type Model, pageTop } from "../model";
import { Area, Cells, type Col, Empty, Header, layout } from "../ui";

const COLS: Col[] = [
  { id: "name", title: "INSTANCE", w: 11, grow: 1, max: 20 },
  { id: "if", title: "IF", w: 7, drop: 3 },
  { id: "vrid", title: "VRID", w: 4, right: true },
  { id: "state", title: "STATE", w: 8 },
  { id: "prio", title: "PRIO", w: 7 },
  { id: "moved", title: "MOVED BY", w: 16, drop: 5, minWidth: 150 },
  { id: "master", title: "MASTER", w: 15, drop: 1 },
  { id: "vips", title: "VIPS", w: 14, grow: 4 },
  { id: "in", title: "IN STATE", w: 8, drop: 2, right: true },
  { id: "rxtx", title: "RX/TX", w: 13, drop: 4, right: true, minWidth: 110 },
  { id: "err", title: "ERR", w: 4, right: true },
];

export function prioText(i: InstanceStatus): string {
  return i.priority === i.effectivePriority ? String(i.priority) : `${i.priority}->${i.effectivePriority}`;
}

/** The trackers that moved the priority or fault the instance: "chk_http-10 eth1!" */
export function movedBy(i: InstanceStatus): string {
  return (i.trackers ?? [])
    .filter((t) => t.weight !== 0 || !t.ok)
    .map((t) => `${t.name}${t.weight ? (t.weight > 0 ? `+${t.weight}` : t.weight) : ""}${t.ok ? "" : "!"}`)
    .join(" ");
}

function value(id: string, i: InstanceStatus, now: number): string {
  switch (id) {
    case "name":
      return i.name;
    case "if":
      return i.interface ?? "-";
    case "vrid":
      return String(i.vrid);
    case "state":
      return stateLabel(i.state);
    case "prio":
      return prioText(i);
    case "moved":
      return movedBy(i) || "-";
    case "master":
      return i.master ?? "-";
    case "vips":
      return i.vips.join(",") || "-";
    case "in":
      return i.lastTransition ? span(now - i.lastTransition.at) : "-";
    case "rxtx":
      return `${i.advertsReceived}/${i.advertsSent}`;
    case "err":
      return String(i.errors);
    default:
      return "";
  }
}

export function InstancesView(p: { m: Model; width: number; height: number }) {
  const { m } = p;
  const rows = instanceRows(m);
  if (!m.status) return <Empty height={p.height} text="waiting for the daemon's status..." />;
  if (rows.length === 0)
    return <Empty height={p.height} text={m.filter ? `no instance matches "${m.filter}"` : "no VRRP instances"} />;
  const cols = layout(COLS, p.width);
  const h = Math.max(0, p.height - 1);
  const cur = Math.min(m.cursor.instances, rows.length - 1);
  const top = pageTop(cur, rows.length, h);
  const visible = rows.slice(top, top + h);
  return (
    <Area height={p.height}>
      <Header cols={cols} />
      {visible.map((i, n) => (
        <Cells
          key={i.name}
          cols={cols}
          selected={top + n === cur}
          value={(id) => value(id, i, m.now)}
          color={(id) => (id === "state" ? stateColor(i.state) : id === "err" && i.errors > 0 ? "red" : undefined)}
        />
      ))}
    </Area>
  );
}
