// placeholder: replaced by the vrrp cross-block checks
import type { HostFacts, KeelConfig } from "../model";
import type { Ctx } from "../schema";
export function checkVrrp(_config: KeelConfig, _c: Ctx, _host: HostFacts): void {}
