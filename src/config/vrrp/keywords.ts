// placeholder: replaced by the vrrp keyword-table work
import type { KeelConfig } from "../model";
import type { Keyword } from "../schema";
export const vrrpTopLevel: Record<string, Keyword<KeelConfig>> = {};
