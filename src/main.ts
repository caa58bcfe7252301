// Entry point of the `keel` executable (build.ts compiles this file). It imports only
// src/build-info.ts; src/cli.ts, which imports what each command needs when it runs
// (issue 20: even node:path costs a compiled start ~10 ms and 240 page faults), comes
// through `await import()`.
import { versionText } from "./build-info";

const argv = process.argv.slice(2);
const name = process.argv0.slice(process.argv0.lastIndexOf("/") + 1);
// `keel --version` answered before src/cli.ts and its argument tables are evaluated: the
// question every package manager, script and `keel --version` in a test asks (issue 20)
if (name !== "genhash" && argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v"))
  await Bun.write(Bun.stdout, versionText());
// keepalived installs genhash as its own program; keel answers to that name too (ln -s keel genhash)
else if (name === "genhash")
  process.exitCode = await (await import("./commands/genhash")).genhash(
    argv,
    { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
    "genhash",
    true,
  );
else {
  // the TUI's runtime settings, read at start-up: `keel attach` execs itself with them
  // before anything else loads (src/commands/tui-runtime.ts)
  if (argv[0] === "attach") (await import("./commands/tui-runtime")).tuiRuntime();
  process.exitCode = await (await import("./cli")).main(argv);
}
