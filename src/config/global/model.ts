// placeholder: replaced by the global_defs work
export interface GlobalDefs {
  routerId?: string;
}
export interface GlobalPart {
  globalDefs: GlobalDefs;
}
export function createGlobalPart(): GlobalPart {
  return { globalDefs: {} };
}
