/**
 * One request at a time to one node over a channel (channel.ts): what `keel switchover
 * --to` needs to act on several nodes in order. Replies come in request order (the
 * protocol answers the oldest request first); events are skipped; a closed channel
 * answers every waiting request with `closed` and the reason.
 */
import type { Reply, Request } from "../control/protocol";
import { parseServerLine } from "../control/protocol";
import { type Channel, openChannel } from "./channel";
import type { Target } from "./target";

export class NodeClient {
  private ch?: Channel;
  private buf = "";
  private readonly waiting: ((r: Reply) => void)[] = [];
  private closedWhy?: string;

  private constructor(readonly name: string) {}

  static async open(name: string, target: Target): Promise<NodeClient> {
    const c = new NodeClient(name);
    c.ch = await openChannel(target, {
      data: (chunk) => c.onData(chunk),
      closed: (why) => {
        c.closedWhy = why;
        for (const w of c.waiting.splice(0)) w({ ok: false, error: { code: "closed", message: why } });
      },
    });
    return c;
  }

  request(r: Request, timeoutMs: number): Promise<Reply> {
    if (this.closedWhy !== undefined)
      return Promise.resolve({ ok: false, error: { code: "closed", message: this.closedWhy } });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(done);
        if (i >= 0) this.waiting[i] = () => {}; // its reply, if it ever comes, is dropped in order
        resolve({ ok: false, error: { code: "timeout", message: `no answer in ${timeoutMs / 1000} s` } });
      }, timeoutMs);
      const done = (reply: Reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.waiting.push(done);
      this.ch?.write(`${JSON.stringify(r)}\n`);
    });
  }

  close(): void {
    this.ch?.close();
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    for (let nl = this.buf.indexOf("\n"); nl >= 0; nl = this.buf.indexOf("\n")) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const m = parseServerLine(line);
      if (m.ok && "reply" in m.value) this.waiting.shift()?.(m.value.reply);
      else if (!m.ok && m.error.code === "bad-reply") this.waiting.shift()?.({ ok: false, error: m.error });
    }
  }
}
