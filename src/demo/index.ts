/**
 * `keel demo`: three VRRP routers for one VIP that a newcomer can crash, fail and cut
 * off from the network, watched live in the TUI through each router's control socket.
 *
 * As root the routers are real keel daemons in network namespaces (src/demo/netns.ts),
 * with two web servers behind a virtual_server; otherwise the same routers run in this
 * process on a simulated network (src/demo/sim.ts). Either way close() — or the process
 * ending, also by Ctrl-C — removes everything the demo made (src/demo/cleanup.ts).
 */
import { startNetnsDemo } from "./netns";
import { startSimDemo } from "./sim";
import type { DemoController, DemoOptions } from "./types";

export type { DemoController, DemoOptions, DemoRouter } from "./types";
export { DEMO_WEB_FLAG, runDemoWeb } from "./web";

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export async function startDemo(opts: DemoOptions = {}): Promise<DemoController> {
  const say = opts.log ?? (() => {});
  if (opts.root === false) return startSimDemo(opts);
  if (opts.root === true) return startNetnsDemo(opts);
  if (!isRoot()) return startSimDemo(opts);
  try {
    return await startNetnsDemo(opts);
  } catch (e) {
    // root without the means (no iproute2, no CAP_SYS_ADMIN in a container, no keel binary)
    say(`demo: cannot build the namespaces (${(e as Error).message.split("\n")[0]}); using the simulated network`);
    return startSimDemo(opts);
  }
}
