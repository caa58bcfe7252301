// Fuzz target for BFD Control packets (see targets/bfd.ts and harness.ts).
import { test } from "bun:test";
import { fuzzTest } from "./harness";
import { bfd } from "./targets/bfd";

fuzzTest(test, bfd);
