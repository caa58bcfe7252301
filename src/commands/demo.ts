/**
 * `keel demo`: the three-router lab (src/demo) watched in the TUI. The TUI shows one
 * router's daemon at a time (n: next router); x kills or restarts that router, f fails or
 * heals its check, c cuts or restores its link, and the VIP moves between them. Quitting
 * (q, Ctrl-C) removes everything the demo made. Without a terminal it prints how to use it.
 */
import { readSubcommand } from "../args";
import type { OptionSpec } from "../base/getopt";
import type { Io } from "../cli";

const USAGE = "usage: keel demo [--simulated]\n";

const OPTIONS: OptionSpec[] = [
  { long: "simulated", arg: "none" },
  { long: "help", short: "h", arg: "none" },
];

export async function demo(argv: string[], io: Io): Promise<number> {
  if (argv[0] === "--serve-web") return (await import("../demo/web")).runDemoWeb(argv.slice(1), io);
  const args = readSubcommand("demo", argv, OPTIONS, USAGE, io);
  if (typeof args === "number") return args;
  const forceSim = args.opts.has("simulated");
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    io.err(
      "keel demo needs a terminal: it opens the TUI on three routers (root: network namespaces; otherwise a simulated network)\n",
    );
    return 1;
  }
  const { startDemo } = await import("../demo");
  io.out(
    `keel demo: starting ${forceSim || process.getuid?.() !== 0 ? "the simulated network" : "three routers in network namespaces"}...\n`,
  );
  const d = await startDemo({ root: forceSim ? false : undefined });
  try {
    if (import.meta.path.startsWith("/$bunfs/")) process.env.NODE_ENV ??= "production";
    const { startTui } = await import("../../tui/run.tsx");
    let current = 0;
    for (;;) {
      const r = d.routers[current];
      if (!r) break;
      let next: number | undefined;
      const say = (what: string) => `${r.name}: ${what}`;
      let handle: ReturnType<typeof startTui> | undefined;
      handle = startTui({
        socketPath: r.socketPath,
        title: `keel demo — router ${r.name}`,
        banner: `${d.banner} | watching ${r.name} (n: next router) | x kill/restart  f fail/heal check  c cut/restore link`,
        extraKeys: [
          {
            key: "n",
            help: "watch the next router",
            run: () => {
              next = (current + 1) % d.routers.length;
              handle?.quit(0);
              return undefined;
            },
          },
          {
            key: "x",
            help: "kill (SIGKILL) or restart this router",
            run: async () => {
              await d.toggleRouter(r.name);
              return say(r.running ? "started again" : "killed");
            },
          },
          {
            key: "f",
            help: "make this router's vrrp_script fail, or pass again",
            run: async () => {
              await d.toggleCheck(r.name);
              return say(r.checkFailing ? "check failing" : "check passing");
            },
          },
          {
            key: "c",
            help: "cut or restore this router's link",
            run: async () => {
              await d.toggleLink(r.name);
              return say(r.linkUp ? "link restored" : "link cut");
            },
          },
        ],
      });
      const code = await handle.done;
      if (next === undefined || next === current) return code;
      current = next;
    }
    return 0;
  } finally {
    await d.close();
  }
}
