// Fuzz targets for VRRP packets as received (see targets/vrrp.ts and harness.ts).
import { test } from "bun:test";
import { fuzzTest } from "./harness";
import { authHmacIpv4 } from "./targets/auth-hmac";
import { vrrpIpv4, vrrpIpv6 } from "./targets/vrrp";

fuzzTest(test, vrrpIpv4);
fuzzTest(test, vrrpIpv6);
fuzzTest(test, authHmacIpv4);
