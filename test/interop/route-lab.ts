/**
 * What the route interop tests (route-encap, route-metrics, route-mode) share: the
 * configuration of a MASTER whose virtual_routes are the given lines, and the kernel's
 * routes for a list of destinations as `ip -d -o` prints them.
 */
import { type Lab, instance } from "../netns/harness";

/** keepalived.conf for `host`: one VRRPv3 MASTER (VRID `vrid`) holding `lines` as virtual_routes */
export function routesConf(host: string, vrid: number, lines: string[]): string {
  return [
    `global_defs {\n  router_id ${host}\n}`,
    instance({
      vrid,
      state: "MASTER",
      priority: 200,
      version: 3,
      advertInt: 0.2,
      vips: [`10.99.0.${vrid}/24`],
      extra: ["virtual_routes {", ...lines.map((r) => `  ${r}`), "}"],
    }),
  ].join("\n");
}

/**
 * The destinations' routes as the kernel has them, in `dsts` order: `ip -d -o`, one line
 * per route, its next hops included, blanks squeezed. (`ip -j` will not do: an
 * encapsulated route's object has two "dst" keys, the route's and the tunnel's, and
 * JSON.parse keeps the tunnel's.)
 */
export function unicastRoutes(lab: Lab, host: string, dsts: string[]): string[] {
  const all = [4, 6].flatMap((f) =>
    lab.exec(host, ["ip", `-${f}`, "-d", "-o", "route", "show", "table", "all"]).split("\n"),
  );
  return dsts.flatMap((d) =>
    all.filter((l) => l.startsWith(`unicast ${d} `)).map((l) => l.replace(/\s+/g, " ").trim()),
  );
}
