// Entry point of the `keel` executable (build.ts compiles this file). It imports only
// src/cli.ts, which imports what each command needs when it runs (issue 20: even
// node:path costs a compiled start ~10 ms and 240 page faults).
import { main } from "./cli";

// keepalived installs genhash as its own program; keel answers to that name too (ln -s keel genhash)
if (process.argv0.slice(process.argv0.lastIndexOf("/") + 1) === "genhash")
  process.exitCode = await (await import("./commands/genhash")).genhash(
    process.argv.slice(2),
    { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
    "genhash",
    true,
  );
else process.exitCode = await main(process.argv.slice(2));
