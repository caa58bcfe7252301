// Entry point of the `keel` executable (build.ts compiles this file).
import { main } from "./cli";

process.exitCode = await main(process.argv.slice(2));
