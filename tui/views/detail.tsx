/** View 6: everything about one instance (enter on an instance; esc goes back). */
import { Text } from "ink";
import type { ReactNode } from "react";
import { ago, ascii, clock, fit, span, sparkline, stateColor, stateLabel, wrap } from "../format";
import { type Model, rateHist } from "../model";
import { holdText } from "../ops";
import { Area, C, Empty, Line } from "../ui";
import { prioText } from "./instances";
import { rateText } from "./timeline";

export function DetailView(p: { m: Model; width: number; height: number }) {
  const { m } = p;
  const n = m.detail === undefined ? undefined : m.index.get(m.detail);
  const i = n === undefined ? undefined : m.status?.instances[n];
  if (!i) return <Empty height={p.height} text={`instance ${m.detail ?? "?"} is gone (esc: back)`} />;
  const hist = rateHist(m.rates, i.name);
  const kv = (k: string, v: string) => `${fit(k, 16)} ${v}`;
  const lines: (string | { key: string; node: ReactNode })[] = [];
  let seq = 0;
  lines.push({
    key: "state",
    node: (
      <>
        {`${fit("state", 16)} `}
        <C color={stateColor(i.state)} bold>
          {stateLabel(i.state)}
        </C>
        {i.lastTransition
          ? ` for ${span(m.now - i.lastTransition.at)}, since ${clock(i.lastTransition.at)}: ${i.lastTransition.from} -> ${i.lastTransition.to} (${i.lastTransition.reason})`
          : ""}
      </>
    ),
  });
  // an operator's hold explains the state before anything else does
  for (const [n, h] of (i.holds ?? []).entries())
    lines.push({
      key: `hold${n}`,
      node: (
        <>
          {`${fit(n === 0 ? "held" : "", 16)} `}
          <C color="yellow" bold>
            {holdText(h)}
          </C>
        </>
      ),
    });
  for (const l of whyLines(m, i.name, p.width)) lines.push(l);
  lines.push(kv("interface", `${i.interface ?? "-"}   VRID ${i.vrid}   IPv${i.family}   VRRPv${i.version}`));
  lines.push(
    kv(
      "priority",
      `${prioText(i)}${i.priority !== i.effectivePriority ? ` (configured ${i.priority}, effective ${i.effectivePriority})` : ""}`,
    ),
  );
  lines.push(kv("master", i.master ?? "-"));
  lines.push(kv("adverts rx/tx", `${i.advertsReceived} / ${i.advertsSent}   ${rateText(hist)}`));
  lines.push({
    key: "spark",
    node: (
      <>
        {`${fit("advert rate", 16)} `}
        <C color="cyan">{sparkline(hist, Math.max(0, p.width - 20))}</C>
      </>
    ),
  });
  lines.push({
    key: "errors",
    node: (
      <>
        {`${fit("errors", 16)} `}
        <C color={i.errors ? "red" : undefined}>{String(i.errors)}</C>
      </>
    ),
  });
  lines.push(kv("faults", i.faults.length ? i.faults.join(", ") : "none"));
  lines.push(kv(`VIPs (${i.vips.length})`, i.vips.join(" ") || "-"));
  const trackers = i.trackers ?? [];
  lines.push(kv("trackers", trackers.length ? "" : "none"));
  for (const t of trackers)
    lines.push({
      key: `t:${t.kind}:${t.name}`,
      node: (
        <>
          {`  ${fit(t.kind, 10)} ${fit(t.name, 20)} `}
          <C color={t.ok ? "green" : "red"}>{t.ok ? "ok    " : "! FAIL"}</C>
          {` weight ${t.weight > 0 ? `+${t.weight}` : t.weight}`}
        </>
      ),
    });
  const recent = m.events.filter((e) => e.instance === i.name);
  lines.push(kv("recent events", recent.length ? "" : "none"));
  for (let k = recent.length - 1; k >= 0 && lines.length < p.height - 1; k--) {
    const e = recent[k]!;
    lines.push(`  ${clock(e.at)} ${e.text} (${ago(e.at, m.now)})`);
  }
  return (
    <Area height={p.height}>
      <Text bold wrap="truncate-end">
        {` ${i.name} - esc back, g GARP, s/S switchover/release, m/M maintenance on/off`}
      </Text>
      {lines
        .slice(0, Math.max(0, p.height - 1))
        .map((l) => (typeof l === "string" ? { key: `l${seq++}`, node: l } : l))
        .map((l) => (
          <Line key={l.key}>{l.node}</Line>
        ))}
    </Area>
  );
}

/** The daemon's explanation (keel explain): why, what would change it, the last decisions. */
function whyLines(m: Model, name: string, width: number): string[] {
  const e = m.explanation?.instance === name ? m.explanation : undefined;
  const kv = (k: string, v: string) => `${fit(k, 16)} ${v}`;
  if (!e) return [kv("why", "asking the daemon...")];
  if (!e.value) return [kv("why", `unknown (${e.error ?? "no answer"})`)];
  const room = width - 19;
  const out = wrap(ascii(e.value.sentence), room).map((l, n) => kv(n === 0 ? "why" : "", l));
  e.value.wouldChange.forEach((w, n) => {
    for (const [k, l] of wrap(ascii(w), room - 2).entries())
      out.push(kv(n === 0 && k === 0 ? "would change" : "", `${k === 0 ? "- " : "  "}${l}`));
  });
  for (const [n, w] of (e.value.seen ?? []).entries())
    for (const [k, l] of wrap(ascii(w), room - 2).entries())
      out.push(kv(n === 0 && k === 0 ? "seen on wire" : "", `${k === 0 ? "- " : "  "}${l}`));
  const recent = e.value.decisions.slice(-3).reverse();
  recent.forEach((d, n) => {
    out.push(kv(n === 0 ? "decisions" : "", fit(`${clock(d.at)} ${d.from} -> ${d.to}: ${ascii(d.words)}`, room)));
  });
  return out;
}
