/**
 * The fleet screen (`keel fleet` on a terminal): the nodes, a row per virtual router with
 * every node's state and priority and who holds the VIPs, the flags raised across nodes,
 * and the merged timeline of all nodes' changes. Enter opens the selected node in the
 * single-node views (tui/app.tsx) over that node's own channel; `q` there comes back.
 */
import { Box, Text, useApp, useInput, useWindowSize } from "ink";
import { type ReactNode, useState, useSyncExternalStore } from "react";
import { App, type Commander } from "../app";
import { clock, fit, staleLabel, stateColor } from "../format";
import type { Reply, Request } from "../../src/control/protocol";
import type { KeyPress } from "../model";
import { confirmText, holdMark, INSTANCE_OP_KEYS, replyText } from "../ops";
import type { Store } from "../store";
import { C, ColorContext, Line } from "../ui";
import { type Cell, type FleetModel, fleetRows, handleFleetKey, timelineNewestFirst } from "./model";
import type { FleetStore } from "./store";

/** One node opened in the single-node views; `close` ends its connection. */
export interface OpenedNode {
  store: Store;
  source: Commander;
  close(): void;
}

export interface FleetAppProps {
  store: FleetStore;
  color: boolean;
  /** a connection to one node for the single-node views */
  open: (node: string) => OpenedNode;
  /** one request to one node (an operation), over that node's target */
  command: (node: string, r: Request) => Promise<Reply>;
}

const HELP: [string, string][] = [
  ["up down  j k", "move the selected row"],
  ["left right  h l  tab  1-9", "select a node"],
  ...INSTANCE_OP_KEYS.map(([k, h]): [string, string] => [
    k,
    `${h}: the selected row's instance on the selected node (asks first)`,
  ]),
  ["enter", "open the selected node in the single-node views (q there comes back)"],
  ["?", "this help (any key closes it)"],
  ["q  ctrl-c", "quit"],
];

export function cellText(c: Cell | undefined): string {
  if (!c) return "-";
  return `${c.stale ? staleLabel(c.state) : c.state} ${c.prio}${holdMark(c.holds)}`;
}

/** A node that has not answered yet (and has not failed): neither up nor unreachable. */
const waiting = (v: { status?: unknown; error?: string }) => v.status === undefined && v.error === undefined;

function header(m: FleetModel): string {
  const down = m.views.filter((v) => v.error !== undefined).length;
  const wait = m.views.filter(waiting).length;
  const n = m.snap.flags.length;
  const how = [down ? `${down} UNREACHABLE` : "", wait ? `${wait} not answered yet` : ""].filter(Boolean);
  return ` keel fleet | ${m.views.length} nodes, ${how.length ? how.join(", ") : "all answer"} | ${m.snap.rows.length} VRIDs | ${n ? `${n} FLAG${n > 1 ? "S" : ""}` : "no flags"}`;
}

function Nodes(p: { m: FleetModel }) {
  return (
    <Text wrap="truncate-end">
      {" nodes:"}
      {p.m.snap.nodes.map((n, i) => {
        const text = `${n.name} ${n.reachable ? (waiting(p.m.views[i] ?? {}) ? "..." : "up") : `UNREACHABLE (${n.error ?? "?"})`}`;
        return (
          <Text key={n.name}>
            {" "}
            <C color={n.reachable ? (i === p.m.node ? "cyan" : undefined) : "red"} bold={i === p.m.node}>
              {i === p.m.node ? `[${text}]` : text}
            </C>
          </Text>
        );
      })}
    </Text>
  );
}

function Table(p: { m: FleetModel; height: number }) {
  const { m } = p;
  const rows = fleetRows(m);
  const names = m.views.map((v) => v.name);
  const w = (title: string, values: string[]) => Math.max(title.length, ...values.map((v) => v.length));
  const vridW = w(
    "VRID",
    rows.map((r) => r.key),
  );
  const instW = Math.min(
    20,
    w(
      "INSTANCE",
      rows.map((r) => r.instances.join(",")),
    ),
  );
  const masterW = w(
    "MASTER",
    rows.map((r) => r.holders.join(",") || "-"),
  );
  const nodeW = names.map((n, i) =>
    w(
      i === m.node ? `[${n}]` : n,
      rows.map((r) => cellText(r.cells[i])),
    ),
  );
  const listH = Math.max(0, p.height - 1);
  const top = Math.max(0, Math.min(m.cursor - listH + 1, rows.length - listH));
  const head = ` ${fit("VRID", vridW)} ${fit("INSTANCE", instW)} ${fit("MASTER", masterW)} ${names
    .map((n, i) => fit(i === m.node ? `[${n}]` : n, nodeW[i]!))
    .join(" ")} VIPS`;
  return (
    <Box flexDirection="column" height={p.height} overflow="hidden">
      <Text bold wrap="truncate-end">
        {head}
      </Text>
      {rows.length === 0 ? <Text> {m.snap.nodes.length ? "no VRRP instance on any node" : "no node"}</Text> : null}
      {rows.slice(top, top + listH).map((r, n) => (
        <Line key={r.key} selected={top + n === m.cursor}>
          <C color={r.flagged ? "red" : undefined}>{`${fit(r.key, vridW)} `}</C>
          {`${fit(r.instances.join(","), instW)} `}
          <C color={r.holders.length === 1 ? "green" : "red"}>{`${fit(r.holders.join(",") || "-", masterW)} `}</C>
          {r.cells.map((c, i) => (
            <C key={names[i]} color={c ? (c.stale ? "gray" : stateColor(c.state)) : undefined}>
              {`${fit(cellText(c), nodeW[i]!)} `}
            </C>
          ))}
          {r.vips || "-"}
        </Line>
      ))}
    </Box>
  );
}

function Flags(p: { m: FleetModel }) {
  const { flags } = p.m.snap;
  if (flags.length === 0)
    return (
      <Text wrap="truncate-end">
        <C color="green">{" no flags"}</C>
      </Text>
    );
  return (
    <>
      {flags.map((f) => (
        <Text key={`${f.flag}:${f.key ?? f.nodes.join(",")}`} wrap="truncate-end">
          <C color="red" bold>{` ! ${f.flag}: ${f.message}`}</C>
        </Text>
      ))}
    </>
  );
}

function entryColor(kind: string, text: string): string | undefined {
  if (/\b(DOWN|FAIL|LOST|FAULT)\b/.test(text) || kind === "rx-error") return "red";
  if (kind === "transition") return /-> MASTER/.test(text) ? "green" : "yellow";
  return undefined;
}

function Timeline(p: { m: FleetModel; height: number }) {
  const entries = timelineNewestFirst(p.m).slice(0, Math.max(0, p.height - 1));
  const nodeW = Math.max(4, ...p.m.views.map((v) => v.name.length));
  return (
    <Box flexDirection="column" height={p.height} overflow="hidden">
      <Text bold wrap="truncate-end">
        {` TIME     ${fit("NODE", nodeW)} CHANGE (all nodes, newest first)`}
      </Text>
      {entries.length === 0 ? <Text> no changes yet</Text> : null}
      {entries.map((e) => (
        <Line key={e.seq}>
          {`${clock(e.at)} ${fit(e.node, nodeW)} `}
          <C color={entryColor(e.kind, e.text)}>{e.text}</C>
        </Line>
      ))}
    </Box>
  );
}

function Help(p: { height: number }) {
  return (
    <Box flexDirection="column" height={p.height} overflow="hidden">
      <Text bold> keys</Text>
      {HELP.map(([k, h]) => (
        <Line key={k}>{`${fit(k, 26)} ${h}`}</Line>
      ))}
    </Box>
  );
}

function FleetFooter(p: { m: FleetModel }) {
  const { m } = p;
  if (m.mode === "confirm-op" && m.pending)
    return (
      <Text wrap="truncate-end">
        <C bold color="yellow">
          {confirmText(m.pending)}
        </C>
      </Text>
    );
  if (m.message && m.now - m.message.at < 10_000)
    return (
      <Text wrap="truncate-end">
        <C color={m.message.error ? "red" : "green"}>{` ${m.message.text}`}</C>
      </Text>
    );
  return (
    <Text wrap="truncate-end">
      {" j/k row  h/l node  enter open node  s/S switchover/release  m/M maint on/off  ? help  q quit"}
    </Text>
  );
}

export function FleetApp(p: FleetAppProps) {
  const m = useSyncExternalStore(p.store.subscribe, p.store.get);
  const { exit } = useApp();
  const { columns, rows } = useWindowSize();
  const [opened, setOpened] = useState<{ node: string; n: OpenedNode } | undefined>(undefined);
  useInput(
    (input, key) => {
      const k: KeyPress = { ...key, input };
      const { model, effect } = handleFleetKey(p.store.get(), k);
      p.store.set(model);
      if (effect?.kind === "quit") exit();
      else if (effect?.kind === "open") setOpened({ node: effect.node, n: p.open(effect.node) });
      else if (effect?.kind === "op")
        void p.command(effect.node, effect.request).then((r) => {
          const t = replyText(effect.label, r);
          p.store.queue({ type: "message", text: t.text, error: t.error, at: Date.now() });
        });
    },
    { isActive: opened === undefined },
  );
  const width = Math.max(20, columns);
  const height = Math.max(8, rows);
  if (opened)
    return (
      <App
        store={opened.n.store}
        source={opened.n.source}
        title={`keel fleet > ${opened.node}`}
        color={p.color}
        quitWord="back to the fleet"
        onQuit={() => {
          opened.n.close();
          setOpened(undefined);
        }}
      />
    );
  const flagsH = Math.max(1, m.snap.flags.length);
  const rest = height - 3 - flagsH - 1; // header, nodes, footer; a blank before the flags
  const tableH = Math.max(2, Math.min(fleetRows(m).length + 1, Math.floor(rest / 2)));
  const timelineH = Math.max(1, rest - tableH);
  let body: ReactNode;
  if (m.mode === "help") body = <Help height={height - 2} />;
  else
    body = (
      <>
        <Nodes m={m} />
        <Table m={m} height={tableH} />
        <Text> </Text>
        <Flags m={m} />
        <Timeline m={m} height={timelineH} />
      </>
    );
  return (
    <ColorContext.Provider value={p.color}>
      <Box flexDirection="column" width={width} height={height} overflow="hidden">
        <Text wrap="truncate-end" bold>
          <C bold color={m.snap.flags.length ? "red" : undefined}>
            {fit(header(m), Math.max(0, width - 9))}
          </C>{" "}
          {clock(m.now)}
        </Text>
        {body}
        <FleetFooter m={m} />
      </Box>
    </ColorContext.Provider>
  );
}
