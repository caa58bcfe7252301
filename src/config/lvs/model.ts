// placeholder: replaced by the LVS model work
export interface VirtualServer {
  ip?: string;
}
export interface LvsPart {
  virtualServers: VirtualServer[];
}
export function createLvsPart(): LvsPart {
  return { virtualServers: [] };
}
