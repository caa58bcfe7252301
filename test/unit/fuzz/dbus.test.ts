// Fuzz target for D-Bus messages from the bus (see targets/dbus.ts and harness.ts).
import { test } from "bun:test";
import { fuzzTest } from "./harness";
import { dbusMessage } from "./targets/dbus";

fuzzTest(test, dbusMessage);
