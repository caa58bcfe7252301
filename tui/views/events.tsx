/** View 5: the event log, newest first, narrowed by the / filter. */
import { Text } from "ink";
import { clock, fit } from "../format";
import { eventsPage } from "../frame";
import type { LogEntry, Model } from "../model";
import { Area, C, Empty, Line } from "../ui";

function kindColor(e: LogEntry): string | undefined {
  if (e.kind === "rx-error") return "red";
  if (/\b(DOWN|FAIL|LOST|FAULT)\b/.test(e.text)) return "red";
  if (e.kind === "transition") return /-> MASTER/.test(e.text) ? "green" : "yellow";
  return undefined;
}

export function EventsView(p: { m: Model; width: number; height: number }) {
  const { m } = p;
  const { rows, cur, top, visible } = eventsPage(m, p.height);
  if (rows.length === 0)
    return (
      <Empty
        height={p.height}
        text={m.filter ? `no event matches "${m.filter}" (of ${m.events.length})` : "no events yet"}
      />
    );
  return (
    <Area height={p.height}>
      <Text bold wrap="truncate-end">
        {` TIME     ${fit("KIND", 11)} EVENT  (${rows.length}${m.filter ? ` of ${m.events.length}` : ""}, newest first)`}
      </Text>
      {visible.map((e, n) => (
        <Line key={e.seq} selected={top + n === cur}>
          {`${clock(e.at)} ${fit(e.kind, 11)} `}
          <C color={kindColor(e)}>{e.text}</C>
        </Line>
      ))}
    </Area>
  );
}
