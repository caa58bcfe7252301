/**
 * A control client (src/control/client.ts's `Client`) over any target's channel: what the
 * fleet TUI hands the single-node views when the user opens one node, so they work the
 * same over ssh:, exec: and unix: as `keel attach` does over the socket. Replies answer the
 * oldest request, as on the socket.
 */
import type { Client } from "../control/client";
import { type Event, parseServerLine, type Reply } from "../control/protocol";
import { openChannel } from "./channel";
import type { Target } from "./target";

export async function targetClient(t: Target): Promise<Client> {
  let buf = "";
  const waiting: ((r: Reply) => void)[] = [];
  let eventCb: ((e: Event) => void) | undefined;
  const fail = (message: string) => {
    for (const w of waiting.splice(0)) w({ ok: false, error: { code: "closed", message } });
  };
  let closed = false;
  const ch = await openChannel(t, {
    data(chunk) {
      buf += chunk;
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
        const m = parseServerLine(line);
        if (m.ok) {
          if ("event" in m.value) eventCb?.(m.value.event);
          else waiting.shift()?.(m.value.reply);
        } else if (m.error.code === "bad-reply") waiting.shift()?.({ ok: false, error: m.error });
      }
    },
    closed(why) {
      closed = true;
      fail(why);
    },
  });
  return {
    request(r) {
      if (closed) return Promise.resolve({ ok: false, error: { code: "closed", message: "the channel is closed" } });
      return new Promise((resolve) => {
        waiting.push(resolve);
        ch.write(`${JSON.stringify(r)}\n`);
      });
    },
    onEvent(cb) {
      eventCb = cb;
    },
    close() {
      closed = true;
      ch.close();
      fail("closed");
    },
  };
}
