/**
 * View 6: the BFD sessions (issue 17): state here and at the peer, the negotiated
 * intervals and Detection Time (RFC 5880 6.8.2, 6.8.4), when the state last changed, the
 * packets, and the instances whose track_bfd it moves. Times arrive in µs as on the wire.
 */
import type { BfdStatus } from "../../src/control/protocol";
import { ago, count } from "../format";
import { bfdRows, bfdTrackedBy, type Model, pageTop } from "../model";
import { Area, Cells, type Col, Empty, Header, layout, sizeToContent } from "../ui";

const COLS: Col[] = [
  { id: "name", title: "SESSION", w: 10, grow: 1, max: 24 },
  { id: "peer", title: "NEIGHBOR", w: 10, fit: true },
  { id: "src", title: "SOURCE", w: 8, drop: 3, fit: true },
  { id: "hop", title: "HOP", w: 5, drop: 5, fit: true },
  { id: "state", title: "STATE", w: 9, fit: true },
  { id: "remote", title: "REMOTE", w: 9, drop: 4, fit: true },
  { id: "tx", title: "TX/RX MS", w: 8, right: true, fit: true },
  { id: "detect", title: "DETECT", w: 10, right: true, fit: true },
  { id: "since", title: "CHANGED", w: 10, right: true, drop: 2, fit: true },
  { id: "trans", title: "CHG", w: 3, right: true, drop: 6 },
  { id: "pkts", title: "RX/TX", w: 7, right: true, drop: 7, fit: true },
  { id: "tracked", title: "TRACKED BY", w: 10, grow: 2 },
];

/** µs as ms: "10", "0.5" */
const ms = (us: number) => {
  const v = us / 1000;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
};

/** The state with a marker, so it reads without colour too (Up / Down / Init / AdminDown). */
export function bfdStateLabel(state: string): string {
  return `${state === "Up" ? "*" : state === "Down" ? "!" : "-"} ${state}`;
}

function value(id: string, b: BfdStatus, m: Model): string {
  switch (id) {
    case "name":
      return b.name;
    case "peer":
      return b.neighbor;
    case "src":
      return b.source ?? "-";
    case "hop":
      return b.multihop ? "multi" : "single";
    case "state":
      return `${bfdStateLabel(b.state)}${b.diag ? ` d${b.diag}` : ""}`;
    case "remote":
      return b.remoteState;
    case "tx":
      return `${ms(b.txInterval)}/${ms(Math.max(b.requiredMinRx, b.remoteMinTx))}`;
    case "detect":
      return `${ms(b.detectTime)}ms x${b.remoteDetectMult}`;
    case "since":
      return ago(b.since, m.now);
    case "trans":
      return String(b.transitions);
    case "pkts":
      return `${count(b.rx)}/${count(b.tx)}`;
    case "tracked":
      return bfdTrackedBy(m, b.name).join(" ") || "-";
    default:
      return "";
  }
}

const stateColor = (s: string) => (s === "Up" ? "green" : s === "Down" ? "red" : "yellow");

export function BfdView(p: { m: Model; width: number; height: number }) {
  const { m } = p;
  if (!m.status) return <Empty height={p.height} text="waiting for the daemon's status..." />;
  const rows = bfdRows(m);
  if (rows.length === 0)
    return (
      <Empty
        height={p.height}
        text={m.filter ? `no BFD session matches "${m.filter}"` : "no BFD sessions (bfd_instance)"}
      />
    );
  const h = Math.max(0, p.height - 1);
  const cur = Math.min(m.cursor.bfd, rows.length - 1);
  const top = pageTop(cur, rows.length, h);
  const visible = rows.slice(top, top + h);
  const val = (id: string, b: BfdStatus) => value(id, b, m);
  const cols = layout(sizeToContent(COLS, visible, val), p.width);
  return (
    <Area height={p.height}>
      <Header cols={cols} />
      {visible.map((b, n) => (
        <Cells
          key={b.name}
          cols={cols}
          selected={top + n === cur}
          value={(id) => val(id, b)}
          color={(id) =>
            id === "state" ? stateColor(b.state) : id === "remote" ? stateColor(b.remoteState) : undefined
          }
        />
      ))}
    </Area>
  );
}
