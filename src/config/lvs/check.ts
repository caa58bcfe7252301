// placeholder: replaced by the lvs cross-block checks
import type { HostFacts, KeelConfig } from "../model";
import type { Ctx } from "../schema";
export function checkLvs(_config: KeelConfig, _c: Ctx, _host: HostFacts): void {}
