// Fuzz targets for netlink and IPVS generic-netlink replies (see targets/netlink.ts and harness.ts).
import { test } from "bun:test";
import { fuzzTest } from "./harness";
import { ipvs, netlink } from "./targets/netlink";

fuzzTest(test, netlink);
fuzzTest(test, ipvs);
