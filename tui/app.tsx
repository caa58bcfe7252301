/** The Ink app: header, view tabs, the current view, a footer line; keys -> model (tui/model.ts) -> effects. */
import { Box, Text, useApp, useInput, useWindowSize } from "ink";
import { type ReactNode, useEffect, useSyncExternalStore } from "react";
import type { Reply, Request } from "../src/control/protocol";
import { clock, fit } from "./format";
import { counts, frameKey } from "./frame";
import { handleKey, type KeyPress, type Model, VIEW_TITLES, VIEWS } from "./model";
import { confirmText, replyText } from "./ops";
import type { Store } from "./store";
import { C, ColorContext } from "./ui";
import { BfdView } from "./views/bfd";
import { DetailView } from "./views/detail";
import { EventsView } from "./views/events";
import { HelpView } from "./views/help";
import { InstancesView } from "./views/instances";
import { ServersView } from "./views/servers";
import { TimelineView } from "./views/timeline";
import { TrackersView } from "./views/trackers";

export interface ExtraKey {
  /** one character, not one of the TUI's own keys */
  key: string;
  help: string;
  /** a string result is shown in the footer */
  run: () => string | undefined | Promise<string | undefined>;
}

export interface Commander {
  command(r: Request): Promise<Reply>;
}

export interface AppProps {
  store: Store;
  source: Commander;
  title?: string;
  banner?: string;
  extraKeys?: ExtraKey[];
  color: boolean;
  /** `q` calls this instead of leaving Ink (the fleet screen: back to the fleet) */
  onQuit?: () => void;
  /** what `q` does, in the footer (default "quit") */
  quitWord?: string;
}

function HeaderLine(p: { m: Model; title: string; width: number }) {
  const { m } = p;
  const conn = m.conn === "connected" ? "connected" : m.conn === "connecting" ? "connecting..." : "DISCONNECTED";
  const right = clock(m.now);
  const left = ` ${p.title} | ${conn} | ${counts(m)}`;
  return (
    <Text wrap="truncate-end" bold>
      <C bold color={m.conn === "connected" ? undefined : "red"}>
        {fit(left, Math.max(0, p.width - right.length - 1))}
      </C>{" "}
      {right}
    </Text>
  );
}

function Tabs(p: { m: Model }) {
  const on = p.m.mode === "help" ? -1 : VIEWS.indexOf(p.m.view);
  return (
    <Text wrap="truncate-end">
      {VIEWS.map((v, n) => {
        const label = `${n + 1} ${VIEW_TITLES[v]}${n === on && p.m.mode === "detail" ? " > detail" : ""}`;
        return n === on ? (
          <C key={v} bold color="cyan">
            {`[${label}]`}
          </C>
        ) : (
          <Text key={v}>{` ${label} `}</Text>
        );
      })}
    </Text>
  );
}

function Footer(p: { m: Model; quitWord: string }) {
  const { m } = p;
  if (m.mode === "filter") return <Text wrap="truncate-end">{` filter: ${m.filter}_  (enter keep, esc clear)`}</Text>;
  if (m.mode === "confirm-reload")
    return (
      <Text wrap="truncate-end">
        <C bold color="yellow">
          {" Reload the daemon's configuration? [y/N]"}
        </C>
      </Text>
    );
  if (m.mode === "confirm-op" && m.pending)
    return (
      <Text wrap="truncate-end">
        <C bold color="yellow">
          {confirmText(m.pending)}
        </C>
      </Text>
    );
  if (m.busy) return <Text wrap="truncate-end">{` ${m.busy}`}</Text>;
  const filt = m.filter ? `filter "${m.filter}" (esc clears) | ` : "";
  if (m.message && m.now - m.message.at < 10_000)
    return (
      <Text wrap="truncate-end">
        {` ${filt}`}
        <C color={m.message.error ? "red" : "green"}>{m.message.text.split("\n").join(" | ")}</C>
      </Text>
    );
  const keys =
    m.mode === "detail"
      ? `esc back  s/S switchover/release  m/M maint on/off  g garp  r reload  ? help  q ${p.quitWord}`
      : m.view === "servers"
        ? `j/k move  d drain  e enable  w weight  / filter  tab view  r reload  ? help  q ${p.quitWord}`
        : m.view === "bfd"
          ? `j/k move  / filter  tab view  r reload  ? help  q ${p.quitWord}`
          : `j/k move  enter detail  / filter  tab view  r reload  g garp  s/S/m/M ops  ? help  q ${p.quitWord}`;
  return <Text wrap="truncate-end">{` ${filt}${keys}`}</Text>;
}

export function App(p: AppProps) {
  const m = useSyncExternalStore(p.store.subscribe, p.store.get);
  const { exit } = useApp();
  const { columns, rows } = useWindowSize();
  const width = Math.max(20, columns);
  const height = Math.max(6, rows);
  const extra = p.extraKeys ?? [];
  const lines: { key: string; node: ReactNode }[] = [];
  if (p.banner) lines.push({ key: "banner", node: <Text wrap="truncate-end">{` ${p.banner}`}</Text> });
  if (m.conn === "disconnected")
    lines.push({
      key: "disc",
      node: (
        <Text wrap="truncate-end">
          <C
            color="red"
            bold
          >{` ! disconnected from ${m.socketPath}, retrying${m.connError ? ` (${m.connError})` : ""}`}</C>
        </Text>
      ),
    });
  const bodyH = Math.max(1, height - 3 - lines.length);
  // a flush that would draw this same screen is not rendered (tui/frame.ts)
  useEffect(() => {
    p.store.setFrameKey((mm) => frameKey(mm, bodyH));
    return () => p.store.setFrameKey(undefined);
  }, [p.store, bodyH]);

  useInput((input, key) => {
    const k: KeyPress = { ...key, input };
    const { model, effect } = handleKey(
      p.store.get(),
      k,
      bodyH - 1,
      extra.map((e) => e.key),
    );
    p.store.set(model);
    if (!effect) return;
    const say = (text: string, error: boolean) => p.store.dispatch({ type: "message", text, error, at: Date.now() });
    switch (effect.kind) {
      case "quit":
        if (p.onQuit) p.onQuit();
        else exit();
        return;
      case "reload":
        void p.source
          .command({ cmd: "reload" })
          .then((r) => say(r.ok ? "configuration reloaded" : `reload failed: ${r.error.message}`, !r.ok));
        return;
      case "garp":
        void p.source
          .command({ cmd: "garp", instance: effect.instance })
          .then((r) =>
            say(
              r.ok ? `GARP sent for ${effect.instance}` : `GARP for ${effect.instance} failed: ${r.error.message}`,
              !r.ok,
            ),
          );
        return;
      case "op":
        void p.source.command(effect.request).then((r) => {
          const t = replyText(effect.label, r);
          say(t.text, t.error);
        });
        return;
      case "extra": {
        const e = extra.find((x) => x.key === effect.key);
        if (!e) return;
        Promise.resolve()
          .then(e.run)
          .then(
            (t) => t !== undefined && say(t, false),
            (err) => say(`${e.key}: ${(err as Error).message}`, true),
          );
        return;
      }
    }
  });

  let body: ReactNode;
  if (m.mode === "help") body = <HelpView height={bodyH} width={width} extra={extra} />;
  else if (m.mode === "detail") body = <DetailView m={m} width={width} height={bodyH} />;
  else {
    const V = {
      instances: InstancesView,
      timeline: TimelineView,
      trackers: TrackersView,
      servers: ServersView,
      events: EventsView,
      bfd: BfdView,
    }[m.view];
    body = <V m={m} width={width} height={bodyH} />;
  }
  return (
    <ColorContext.Provider value={p.color}>
      {/* clipped vertically only: every line truncates itself at the width (see Area) */}
      <Box flexDirection="column" width={width} height={height} overflowY="hidden">
        <HeaderLine m={m} title={p.title ?? "keel"} width={width} />
        {lines.map((l) => (
          <Box key={l.key}>{l.node}</Box>
        ))}
        <Tabs m={m} />
        {body}
        <Footer m={m} quitWord={p.quitWord ?? "quit"} />
      </Box>
    </ColorContext.Provider>
  );
}
