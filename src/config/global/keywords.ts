// placeholder: replaced by the global keyword-table work
import type { KeelConfig } from "../model";
import type { Keyword } from "../schema";
export const globalTopLevel: Record<string, Keyword<KeelConfig>> = {};
