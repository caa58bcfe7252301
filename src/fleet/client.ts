/**
 * A control client (src/control/client.ts's `Client`) over any target's channel: what the
 * fleet TUI hands the single-node views when the user opens one node, so they work the
 * same over ssh:, exec: and unix: as `keel attach` does over the socket. Replies answer the
 * oldest request, as on the socket.
 */
import { type Client, ReplyRouter } from "../control/client";
import { openChannel } from "./channel";
import type { Target } from "./target";

export async function targetClient(t: Target): Promise<Client> {
  const router = new ReplyRouter();
  let closed = false;
  const ch = await openChannel(t, {
    data(chunk) {
      router.feed(chunk);
    },
    closed(why) {
      closed = true;
      router.fail(why);
    },
  });
  return {
    request(r) {
      if (closed) return Promise.resolve({ ok: false, error: { code: "closed", message: "the channel is closed" } });
      const reply = router.expect();
      ch.write(`${JSON.stringify(r)}\n`);
      return reply;
    },
    onEvent(cb) {
      router.onEvent(cb);
    },
    close() {
      closed = true;
      ch.close();
      router.fail("closed");
    },
  };
}
