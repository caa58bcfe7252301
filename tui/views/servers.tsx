/** View 4: virtual servers (quorum, sorry server, suspended) with their real servers (checkers, weights). */
import { Text } from "ink";
import type { CheckerStatus, RealServerStatus, VirtualServerStatus } from "../../src/control/protocol";
import { ago, fit, sparkline } from "../format";
import { checkerId, type Model, pageTop, serverRows } from "../model";
import { operatorText } from "../ops";
import { Area, C, Cells, type Col, Empty, Header, Line, layout } from "../ui";

/** the latency trend column: 12 checks of one checker, or fewer each of several */
const TREND_W = 12;

const COLS: Col[] = [
  { id: "addr", title: "  REAL SERVER", w: 20, grow: 1, max: 30 },
  { id: "state", title: "STATE", w: 11 },
  { id: "weight", title: "WEIGHT", w: 7, right: true },
  { id: "conns", title: "CONNS", w: 9, right: true, drop: 3 },
  { id: "checker", title: "CHECKER", w: 18 },
  { id: "last", title: "LAST CHECK", w: 10, right: true, drop: 2 },
  { id: "lat", title: "LATENCY", w: 7, right: true, drop: 1 },
  { id: "trend", title: "LAT. TREND", w: TREND_W, drop: 5, minWidth: 130 },
  { id: "result", title: "RESULT", w: 6, grow: 2 },
];

/** The checker last heard from. */
function latest(rs: RealServerStatus): CheckerStatus | undefined {
  return rs.checkers.reduce<CheckerStatus | undefined>(
    (a, c) => (!a || (c.lastCheck ?? 0) > (a.lastCheck ?? 0) ? c : a),
    undefined,
  );
}

/** "configured/live" weight; live "-" when the server is not in the IPVS table. */
export function weightText(rs: RealServerStatus): string {
  return `${rs.weight}/${rs.liveWeight ?? "-"}`;
}

/** IPVS's "active/inactive" connections to the real server; "-" without counters. */
export function connsText(rs: RealServerStatus): string {
  const c = rs.counters;
  return c?.activeConns === undefined ? "-" : `${c.activeConns}/${c.inactiveConns ?? 0}`;
}

export function checkerText(rs: RealServerStatus): string {
  if (rs.checkers.length === 0) return "none";
  return rs.checkers.map((c) => `${c.type} ${c.up ? "up" : "DOWN"}${c.retries ? ` r${c.retries}` : ""}`).join(", ");
}

export function latencyText(ms: number | undefined): string {
  return ms === undefined ? "-" : ms < 10 ? `${ms.toFixed(1)}ms` : `${Math.round(ms)}ms`;
}

/** One sparkline per checker (one bar per completed check, each scaled to its own slowest), side by side. */
function trendText(vs: VirtualServerStatus, rs: RealServerStatus, m: Model): string {
  const n = rs.checkers.length;
  if (n === 0) return "-";
  const w = Math.max(3, Math.floor((TREND_W - (n - 1)) / n));
  return rs.checkers
    .map((c) => {
      const hist = m.latency.get(checkerId(vs.name, rs.address, c.type))?.hist;
      return hist ? sparkline(hist, w) : fit("-", w);
    })
    .join(" ");
}

function rsValue(id: string, vs: VirtualServerStatus, rs: RealServerStatus, m: Model): string {
  const now = m.now;
  const l = latest(rs);
  switch (id) {
    case "addr":
      return `  ${rs.address}`;
    case "state":
      // an operator's override (keel rs) next to what the checkers say, which still runs
      return `${rs.up ? "up" : "! DOWN"}${rs.operator ? (rs.operator.action === "drain" ? " DRAIN" : " OP-W") : ""}`;
    case "weight":
      return weightText(rs);
    case "conns":
      return connsText(rs);
    case "checker":
      return checkerText(rs);
    case "last":
      return ago(l?.lastCheck, now);
    case "lat":
      return latencyText(l?.latencyMs);
    case "trend":
      return trendText(vs, rs, m);
    case "result":
      return `${rs.operator ? `[${operatorText(rs.operator)}] ` : ""}${l?.lastResult ?? "-"}`;
    default:
      return "";
  }
}

export function vsText(vs: VirtualServerStatus): string {
  const bits = [
    vs.name,
    `${vs.scheduler} ${vs.method}`,
    `quorum ${vs.quorum}${vs.hysteresis ? `+-${vs.hysteresis}` : ""} ${vs.quorumUp ? "up" : "LOST"}`,
    `alive weight ${vs.aliveWeight}`,
  ];
  if (vs.counters) bits.push(`${vs.counters.cps} conn/s`);
  if (vs.sorryServer) bits.push(`sorry ${vs.sorryServer}${vs.sorryActive ? " ACTIVE" : ""}`);
  if (vs.suspended) bits.push("SUSPENDED");
  return bits.join("  ");
}

export function ServersView(p: { m: Model; width: number; height: number }) {
  const { m } = p;
  if (!m.status) return <Empty height={p.height} text="waiting for the daemon's status..." />;
  const lvs = m.status.lvs;
  const warn =
    lvs && !lvs.available ? `IPVS unavailable${lvs.error ? `: ${lvs.error}` : ""} (checks still run)` : undefined;
  const rows = serverRows(m);
  if (rows.length === 0) {
    const text = m.filter ? `no virtual server matches "${m.filter}"` : "no virtual servers";
    return <Empty height={p.height} text={warn ? `${text}; ${warn}` : text} />;
  }
  const cols = layout(COLS, p.width);
  const h = Math.max(0, p.height - 1 - (warn ? 1 : 0));
  const cur = Math.min(m.cursor.servers, rows.length - 1);
  const top = pageTop(cur, rows.length, h);
  return (
    <Area height={p.height}>
      {warn ? (
        <Text wrap="truncate-end">
          <C color="red">{` ! ${warn}`}</C>
        </Text>
      ) : null}
      <Header cols={cols} />
      {rows.slice(top, top + h).map((r, n) =>
        r.kind === "vs" ? (
          <Line key={`vs:${r.vs.name}`} selected={top + n === cur}>
            <C bold color={r.vs.quorumUp && !r.vs.suspended ? undefined : "red"}>
              {vsText(r.vs)}
            </C>
          </Line>
        ) : (
          <Cells
            key={`rs:${r.vs.name}:${r.rs.address}`}
            cols={cols}
            selected={top + n === cur}
            value={(id) => rsValue(id, r.vs, r.rs, m)}
            color={(id) =>
              id === "state"
                ? r.rs.up
                  ? "green"
                  : "red"
                : id === "trend"
                  ? "cyan"
                  : id === "checker"
                    ? r.rs.checkers.every((k) => k.up)
                      ? "green"
                      : "red"
                    : undefined
            }
          />
        ),
      )}
    </Area>
  );
}
