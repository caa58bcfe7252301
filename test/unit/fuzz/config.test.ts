// Fuzz targets for the configuration readers: keepalived.conf from memory and from a directory
// tree with includes, and TOML (see targets/config.ts and harness.ts).
import { test } from "bun:test";
import { fuzzTest } from "./harness";
import { configConf, configToml, configTree } from "./targets/config";

fuzzTest(test, configConf);
fuzzTest(test, configTree);
fuzzTest(test, configToml);
