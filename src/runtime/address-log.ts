/**
 * keepalived -a/--address-monitoring (LOG_ADDRESS_CHANGES, core/keepalived_netlink.c
 * netlink_if_address_filter): every address added or removed, as netlink reports it, is a
 * log line: "Netlink reflector reports IP 10.0.0.1 added to eth0". keel's VRRP driver
 * already watches netlink; this wraps the kernel it is given so that each address event
 * is logged on its way to the driver, which sees the events unchanged.
 */
import type { Logger } from "./log";
import type { Kernel, KernelEvent } from "./kernel";

export function logAddressChanges(kernel: Kernel, log: Logger): Kernel {
  const names = new Map<number, string>();
  const nameOf = (ifindex: number): string => {
    let name = names.get(ifindex);
    if (name === undefined) {
      // an interface seen before the watch started: read the table once more
      const links = kernel.links();
      if (links.ok) for (const l of links.value) names.set(l.ifindex, l.name);
      name = names.get(ifindex) ?? `if${ifindex}`;
    }
    return name;
  };
  const watch: Kernel["watch"] = (onEvent) =>
    kernel.watch((e: KernelEvent) => {
      if (e.type === "link") {
        if (e.action === "del") names.delete(e.link.ifindex);
        else names.set(e.link.ifindex, e.link.name);
      } else if (e.type === "addr") {
        const verb = e.action === "new" ? "added to" : "removed from";
        log.info(`Netlink reflector reports IP ${e.addr.address} ${verb} ${nameOf(e.addr.ifindex)}`);
      }
      onEvent(e);
    });
  return new Proxy(kernel, {
    get(target, key) {
      if (key === "watch") return watch;
      const v = Reflect.get(target, key, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
