// Entry point of the `keel` executable (build.ts compiles this file).
import { basename } from "node:path";
import { main } from "./cli";

// keepalived installs genhash as its own program; keel answers to that name too (ln -s keel genhash)
if (basename(process.argv0) === "genhash")
  process.exitCode = await (await import("./commands/genhash")).genhash(
    process.argv.slice(2),
    { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
    "genhash",
    true,
  );
else process.exitCode = await main(process.argv.slice(2));
