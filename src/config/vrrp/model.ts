// placeholder: replaced by the VRRP model work
export interface VrrpInstance {
  name: string;
  priority: number;
}
export interface VrrpPart {
  vrrpInstances: Record<string, VrrpInstance>;
}
export function createVrrpPart(): VrrpPart {
  return { vrrpInstances: {} };
}
