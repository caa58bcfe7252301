/** The ? screen. */
import { Text } from "ink";
import { fit } from "../format";
import { INSTANCE_OP_KEYS, RS_OP_KEYS } from "../ops";
import { Area, Line } from "../ui";

export const KEYS: [string, string][] = [
  ["up down  j k", "move the selection"],
  ["PgUp PgDn  space", "page up / down; Home / End (G) first / last"],
  ["enter", "instance detail (esc / enter goes back)"],
  ["tab  left right  1-6", "switch view (shift-tab back)"],
  ["/", "filter the current view (enter keeps it, esc clears it)"],
  ["r", "reload the daemon's configuration (asks first)"],
  ["g", "send gratuitous ARP / NA for the selected instance"],
  ...INSTANCE_OP_KEYS.map(([k, h]): [string, string] => [k, `${h} (asks first, optional reason)`]),
  ...RS_OP_KEYS.map(([k, h]): [string, string] => [k, `Virtual servers view: ${h} (asks first)`]),
  ["?", "this help (any key closes it)"],
  ["q  ctrl-c", "quit"],
];

export function HelpView(p: { height: number; width: number; extra: { key: string; help: string }[] }) {
  const rows: [string, string][] = [...KEYS, ...p.extra.map((e): [string, string] => [e.key, e.help])];
  return (
    <Area height={p.height}>
      <Text bold wrap="truncate-end">
        {" keys"}
      </Text>
      {rows.slice(0, Math.max(0, p.height - 1)).map(([k, h]) => (
        <Line key={k}>{`${fit(k, 18)} ${h}`}</Line>
      ))}
    </Area>
  );
}
