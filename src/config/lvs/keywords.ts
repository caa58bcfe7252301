// placeholder: replaced by the lvs keyword-table work
import type { KeelConfig } from "../model";
import type { Keyword } from "../schema";
export const lvsTopLevel: Record<string, Keyword<KeelConfig>> = {};
