// Fuzz targets for VRRP packets as received (see targets/vrrp.ts and harness.ts).
import { test } from "bun:test";
import { fuzzTest } from "./harness";
import { vrrpIpv4, vrrpIpv6 } from "./targets/vrrp";

fuzzTest(test, vrrpIpv4);
fuzzTest(test, vrrpIpv6);
