// Fuzz target for vrrp_track_file contents, checked against a model of keepalived's strtol
// (see targets/track-file.ts and harness.ts).
import { test } from "bun:test";
import { fuzzTest } from "./harness";
import { trackFile } from "./targets/track-file";

fuzzTest(test, trackFile);
