/** View 5: the event log, newest first, narrowed by the / filter. */
import { Text } from "ink";
import { clock, fit } from "../format";
import { eventRows, type LogEntry, type Model, pageTop } from "../model";
import { Area, C, Empty, Line } from "../ui";

function kindColor(e: LogEntry): string | undefined {
  if (e.kind === "rx-error") return "red";
  if (/\b(DOWN|FAIL|LOST|FAULT)\b/.test(e.text)) return "red";
  if (e.kind === "transition") return /-> MASTER/.test(e.text) ? "green" : "yellow";
  return undefined;
}

export function EventsView(p: { m: Model; width: number; height: number }) {
  const { m } = p;
  const rows = eventRows(m);
  if (rows.length === 0)
    return (
      <Empty
        height={p.height}
        text={m.filter ? `no event matches "${m.filter}" (of ${m.events.length})` : "no events yet"}
      />
    );
  const h = Math.max(0, p.height - 1);
  const cur = Math.min(m.cursor.events, rows.length - 1);
  const top = pageTop(cur, rows.length, h);
  return (
    <Area height={p.height}>
      <Text bold wrap="truncate-end">
        {` TIME     ${fit("KIND", 11)} EVENT  (${rows.length}${m.filter ? ` of ${m.events.length}` : ""}, newest first)`}
      </Text>
      {rows.slice(top, top + h).map((e, n) => (
        <Line key={e.seq} selected={top + n === cur}>
          {`${clock(e.at)} ${fit(e.kind, 11)} `}
          <C color={kindColor(e)}>{e.text}</C>
        </Line>
      ))}
    </Area>
  );
}
