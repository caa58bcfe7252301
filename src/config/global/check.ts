// placeholder: replaced by the global cross-block checks
import type { HostFacts, KeelConfig } from "../model";
import type { Ctx } from "../schema";
export function checkGlobal(_config: KeelConfig, _c: Ctx, _host: HostFacts): void {}
