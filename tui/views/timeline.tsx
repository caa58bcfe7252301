/** View 2: advert sparklines per instance (top) and the state changes with their reasons (bottom). */
import { Text } from "ink";
import { clock, fit, fitRight, sparkline, stateColor, stateLabel } from "../format";
import { instanceRows, type Model, pageTop, timelineRows } from "../model";
import { Area, C, Line } from "../ui";

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
  const sparkW = Math.max(0, p.width - 1 - nameW - 1 - 9 - 1 - 8 - 1);
  return (
    <Area height={p.height}>
      <Text bold wrap="truncate-end">
        {` ${fit("INSTANCE", nameW)} ${fit("STATE", 9)} ${fitRight("ADV/S", 8)} ${fit("adverts rx+tx per second, one bar per poll", sparkW)}`}
      </Text>
      {insts.length === 0 ? (
        <Text> {m.status ? "no VRRP instances" : "waiting for the daemon's status..."}</Text>
      ) : null}
      {insts.slice(top, top + listH).map((i, n) => {
        const hist = m.rates.get(i.name)?.hist ?? [];
        return (
          <Line key={i.name} selected={top + n === cur}>
            {`${fit(i.name, nameW)} `}
            <C color={stateColor(i.state)}>{`${fit(stateLabel(i.state), 9)} `}</C>
            {`${fitRight(rateText(hist), 8)} `}
            <C color="cyan">{sparkline(hist, sparkW)}</C>
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
