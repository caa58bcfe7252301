/**
 * View 2: per instance its state over the last minutes (a strip of coloured cells) and an
 * advert-rate sparkline (top), and the state changes with their reasons (bottom).
 */
import { Text } from "ink";
import { clock, fit, fitRight, runs, sparkline, stateColor, stateLabel, stateStrip } from "../format";
import { instanceRows, isStale, type Model, pageTop, rateHist, type Transition, timelineRows } from "../model";
import { Area, C, Line } from "../ui";

/** one strip cell per this long: 60 cells show 5 minutes */
export const STRIP_CELL_MS = 5000;

const LETTER_STATE: Record<string, string> = { M: "MASTER", B: "BACKUP", F: "FAULT", "?": "?" };

function Strip(p: { strip: string; dim: boolean }) {
  return (
    <>
      {runs(p.strip).map((r, n) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: runs have no identity but their place
        <C key={n} color={p.dim ? "gray" : r[0] === "." ? undefined : stateColor(LETTER_STATE[r[0]!] ?? "?")}>
          {r}
        </C>
      ))}
    </>
  );
}

function byInstance(timeline: readonly Transition[]): Map<string, Transition[]> {
  const out = new Map<string, Transition[]>();
  for (const t of timeline) {
    const l = out.get(t.instance);
    if (l) l.push(t);
    else out.set(t.instance, [t]);
  }
  return out;
}

export function rateText(hist: readonly number[] | undefined): string {
  const last = hist?.[hist.length - 1];
  return last === undefined ? "-" : `${last < 10 ? last.toFixed(1) : Math.round(last)}/s`;
}

export function TimelineView(p: { m: Model; width: number; height: number }) {
  const { m } = p;
  const insts = instanceRows(m);
  const trans = timelineRows(m);
  const topH = Math.max(2, Math.floor(p.height / 2));
  const botH = Math.max(0, p.height - topH);
  const listH = topH - 1;
  const cur = Math.min(m.cursor.timeline, Math.max(0, insts.length - 1));
  const top = pageTop(cur, insts.length, listH);
  const nameW = Math.min(20, Math.max(8, ...insts.slice(top, top + listH).map((i) => i.name.length)));
  const rest = Math.max(0, p.width - 1 - nameW - 1 - 9 - 1 - 8 - 1);
  const stripW = Math.floor((rest * 2) / 3);
  const sparkW = Math.max(0, rest - stripW - 1);
  const mins = Math.round((stripW * STRIP_CELL_MS) / 6000) / 10;
  const perInstance = byInstance(m.timeline);
  const stale = isStale(m);
  // after a disconnection the strip ends where the daemon was last heard
  const end = stale ? (m.seenAt ?? m.now) : m.now;
  return (
    <Area height={p.height}>
      <Text bold wrap="truncate-end">
        {` ${fit("INSTANCE", nameW)} ${fit("STATE", 9)} ${fitRight("ADV/S", 8)} ${fit(`STATE, last ${mins} min (M B F)`, stripW)} ${fit("adverts/s", sparkW)}`}
      </Text>
      {insts.length === 0 ? (
        <Text> {m.status ? "no VRRP instances" : "waiting for the daemon's status..."}</Text>
      ) : null}
      {insts.slice(top, top + listH).map((i, n) => {
        const hist = rateHist(m.rates, i.name);
        const strip = stateStrip(
          perInstance.get(i.name) ?? [],
          i.state,
          end,
          stripW,
          STRIP_CELL_MS,
          m.status?.startedAt,
        );
        return (
          <Line key={i.name} selected={top + n === cur}>
            {`${fit(i.name, nameW)} `}
            <C color={stale ? "gray" : stateColor(i.state)}>{`${fit(stateLabel(i.state), 9)} `}</C>
            {`${fitRight(rateText(hist), 8)} `}
            <Strip strip={strip} dim={stale} /> <C color="cyan">{sparkline(hist, sparkW)}</C>
          </Line>
        );
      })}
      <Area height={botH}>
        <Text bold wrap="truncate-end">
          {" TIME     INSTANCE -> STATE (reason), newest first"}
        </Text>
        {trans.length === 0 ? <Text> no state changes yet</Text> : null}
        {trans.slice(0, Math.max(0, botH - 1)).map((t) => (
          <Line key={t.seq}>
            {`${clock(t.at)} ${t.instance} ${t.from} -> `}
            <C color={stateColor(t.to)}>{t.to}</C>
            {` (${t.reason})`}
          </Line>
        ))}
      </Area>
    </Area>
  );
}
