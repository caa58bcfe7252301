/**
 * The iproute2 name files as keepalived's lib/rttables.c reads them (src/config/rt-names.ts),
 * and their use at config load (src/config/vrrp/rt-resolve.ts): file text is Debian 12's
 * iproute2 6.1 (/etc/iproute2) and what admins add to rt_tables.d.
 */
import { describe, expect, test } from "bun:test";
import { formatDiagnostic } from "../../../src/config/diagnostics";
import { parseConf } from "../../../src/config/parse";
import { type RtFileAccess, RtNames, parseCNumber, parseRtFile, rtFilesOf } from "../../../src/config/rt-names";
import { memorySource } from "../../../src/config/source";

const DEBIAN_RT_TABLES = `#
# reserved values
#
255\tlocal
254\tmain
253\tdefault
0\tunspec
#
# local
#
#1\tinr.ruhep
`;

const DEBIAN_RT_PROTOS = `#
# Reserved protocols.
#
0\tunspec
1\tredirect
2\tkernel
3\tboot
4\tstatic
8\tgated
9\tra
10\tmrt
11\tzebra
12\tbird
13\tdnrouted
14\txorp
15\tntk
16\tdhcp
18\tkeepalived
42\tbabel
99\topenr
186\tbgp
187\tisis
188\tospf
189\trip
192\teigrp
`;

const DEBIAN_RT_DSFIELD = `# Differentiated field values
# These include the DSCP and unused bits
0x0\tdefault
# Newer RFC2597 values
0x28\tAF11
0x30\tAF12
`;

/** A filesystem of files (path → text) and the directories their paths imply. */
function memFs(files: Record<string, string>): RtFileAccess & { reads: string[] } {
  const dirs = new Set<string>();
  for (const p of Object.keys(files)) {
    const parts = p.split("/");
    for (let i = 2; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  const reads: string[] = [];
  return {
    reads,
    readFile: (p) => {
      reads.push(p);
      return files[p];
    },
    listDir: (p) =>
      dirs.has(p)
        ? Object.keys(files)
            .filter((f) => f.startsWith(`${p}/`) && !f.slice(p.length + 1).includes("/"))
            .map((f) => f.slice(p.length + 1))
        : undefined,
    exists: (p) => p in files || dirs.has(p),
    isDir: (p) => dirs.has(p),
  };
}

describe("parseRtFile", () => {
  test("Debian's rt_tables: comments and blank lines skipped, entries in order", () => {
    const r = parseRtFile(DEBIAN_RT_TABLES, "/etc/iproute2/rt_tables", 0xffffffff);
    expect(r.entries).toEqual([
      { id: 255, name: "local" },
      { id: 254, name: "main" },
      { id: 253, name: "default" },
      { id: 0, name: "unspec" },
    ]);
    expect(r.problems).toEqual([]);
  });

  test("hex and octal numbers (strtoul base 0), a comment after the name", () => {
    const r = parseRtFile("0x28\tAF11\n010 eight # the octal one\n", "f", 255);
    expect(r.entries).toEqual([
      { id: 40, name: "AF11" },
      { id: 8, name: "eight" },
    ]);
  });

  test("lines keepalived skips are reported with file:line and why", () => {
    const text = "100 one two\n-1 minus\n256 big\n12x bad\n200\tok\nlonely\n";
    const r = parseRtFile(text, "/x/rt_protos", 255);
    expect(r.entries).toEqual([{ id: 200, name: "ok" }]);
    expect(r.problems).toEqual([
      { file: "/x/rt_protos", line: 1, reason: "expected 'NUMBER NAME', found 3 field(s); line skipped" },
      { file: "/x/rt_protos", line: 2, reason: "'-1' is not a number; line skipped" },
      { file: "/x/rt_protos", line: 3, reason: "'256' is above 255; line skipped" },
      { file: "/x/rt_protos", line: 4, reason: "'12x' is not a number; line skipped" },
      { file: "/x/rt_protos", line: 6, reason: "expected 'NUMBER NAME', found 1 field(s); line skipped" },
    ]);
  });

  test("parseCNumber is strtoul(…, 0) over the whole string", () => {
    expect([parseCNumber("0"), parseCNumber("0x1F"), parseCNumber("017"), parseCNumber("42")]).toEqual([0, 31, 15, 42]);
    expect([parseCNumber("08"), parseCNumber("0x"), parseCNumber("-1"), parseCNumber("main")]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe("which files, in which order (rttables.c initialise_list)", () => {
  const dirs = { etc: "/etc/iproute2", usr: "/usr/share/iproute2" };
  test("etc's file over usr's; usr's .d files unless etc shadows them, then etc's; only *.conf regular names", () => {
    const fs = memFs({
      "/etc/iproute2/rt_tables": DEBIAN_RT_TABLES,
      "/usr/share/iproute2/rt_tables": "1 usr-main\n",
      "/usr/share/iproute2/rt_tables.d/vendor.conf": "2 vendor\n",
      "/usr/share/iproute2/rt_tables.d/shadowed.conf": "3 from-usr\n",
      "/etc/iproute2/rt_tables.d/shadowed.conf": "3 from-etc\n",
      "/etc/iproute2/rt_tables.d/README": "not read\n",
      "/etc/iproute2/rt_tables.d/.hidden.conf": "4 hidden\n",
      "/etc/iproute2/rt_tables.d/a.conf": "5 admin\n",
    });
    expect(rtFilesOf("rt_tables", dirs, fs)).toEqual([
      "/etc/iproute2/rt_tables",
      "/usr/share/iproute2/rt_tables.d/vendor.conf",
      "/etc/iproute2/rt_tables.d/a.conf",
      "/etc/iproute2/rt_tables.d/shadowed.conf",
    ]);
  });

  test("usr's file when etc has none (Debian 13's iproute2 ships only /usr/share/iproute2)", () => {
    const fs = memFs({ "/usr/share/iproute2/rt_protos": DEBIAN_RT_PROTOS });
    expect(rtFilesOf("rt_protos", dirs, fs)).toEqual(["/usr/share/iproute2/rt_protos"]);
    expect(new RtNames(dirs, fs).find("rt_protos", "bgp")).toBe(186);
  });

  test("neither directory: nothing read, the built-in names still there", () => {
    const fs = memFs({ "/elsewhere/rt_tables": "7 seven\n" });
    const names = new RtNames(dirs, fs);
    expect(rtFilesOf("rt_tables", dirs, fs)).toEqual([]);
    expect([names.find("rt_tables", "main"), names.find("rt_tables", "seven")]).toEqual([254, undefined]);
    expect([names.find("rt_protos", "bird"), names.find("rt_protos", "keepalived")]).toEqual([12, undefined]);
    expect(names.find("rt_scopes", "link")).toBe(253);
  });
});

describe("RtNames.find", () => {
  const dirs = { etc: "/etc/iproute2" };
  const fs = memFs({
    "/etc/iproute2/rt_tables": `${DEBIAN_RT_TABLES}100 mytable\n`,
    "/etc/iproute2/rt_tables.d/vpn.conf": "0x200 vpn\n",
    "/etc/iproute2/rt_protos": DEBIAN_RT_PROTOS,
    "/etc/iproute2/rt_realms": "0 cosmos\n1 inner\n2 outer\n",
    "/etc/iproute2/rt_dsfield": DEBIAN_RT_DSFIELD,
    "/etc/iproute2/rt_scopes": "0 global\n255 nowhere\n254 host\n253 link\n",
  });
  const names = new RtNames(dirs, fs);

  test("names from the files and the .d directory; numbers as themselves (base 0) within the maximum", () => {
    expect(names.find("rt_tables", "mytable")).toBe(100);
    expect(names.find("rt_tables", "vpn")).toBe(512);
    expect(names.find("rt_tables", "0x10")).toBe(16);
    expect(names.find("rt_tables", "4294967295")).toBe(4294967295);
    expect(names.find("rt_protos", "keepalived")).toBe(18);
    expect(names.find("rt_dsfield", "AF12")).toBe(0x30);
    expect(names.find("rt_dsfield", "256")).toBeUndefined();
    expect(names.find("rt_realms", "outer")).toBe(2);
    expect(names.find("rt_tables", "nope")).toBeUndefined();
  });

  test("a default the file left out is added (site); one whose number the file names is not", () => {
    expect(names.find("rt_scopes", "site")).toBe(200);
    const renamed = new RtNames(dirs, memFs({ "/etc/iproute2/rt_tables": "254 principal\n" }));
    expect([renamed.find("rt_tables", "principal"), renamed.find("rt_tables", "main")]).toEqual([254, undefined]);
  });

  test("each kind's files are read once, and only when a name is looked up", () => {
    const counted = memFs({ "/etc/iproute2/rt_tables": "100 t\n" });
    const n = new RtNames(dirs, counted);
    expect(counted.reads).toEqual([]);
    n.find("rt_tables", "t");
    n.find("rt_tables", "main");
    n.find("rt_tables", "200");
    expect(counted.reads.filter((p) => p === "/etc/iproute2/rt_tables").length).toBe(2); // the check, then the read
  });
});

describe("config load resolves the names (rt-resolve.ts)", () => {
  const files = {
    "/tmp/ipr/rt_tables": `${DEBIAN_RT_TABLES}100 mytable\nbogus line here\n`,
    "/tmp/ipr/rt_protos": DEBIAN_RT_PROTOS,
    "/tmp/ipr/rt_realms": "1 inner\n2 outer\n",
    "/tmp/ipr/rt_dsfield": DEBIAN_RT_DSFIELD,
  };
  const load = (body: string) => {
    const text = `global_defs {\n  iproute_etc_dir /tmp/ipr\n}\n${body}`;
    return parseConf("k.conf", {
      source: memorySource({ "k.conf": text }),
      host: { interfaceExists: () => true, rtFiles: memFs(files) },
    });
  };
  const diags = (r: ReturnType<typeof load>) => r.diagnostics.items.map((d) => formatDiagnostic(d));

  test("route and rule names become ids; the names stay for keel -t's dump", () => {
    const r = load(`static_routes {
  10.1.0.0/16 dev eth0 table mytable protocol bird scope link realms inner/outer tos AF11 no_track
  10.2.0.0/16 dev eth0 table 0x10 protocol keepalived
  10.3.0.0/16 dev eth0 protocol bird
}
static_rules {
  from 10.1.0.0/16 table mytable realms outer tos 0x30
  from 10.2.0.0/16 table main protocol 4 no_track
}
`);
    expect(r.config.staticRoutes.map((x) => [x.table, x.ids])).toEqual([
      ["mytable", { tos: 0x28, table: 100, protocol: 12, scope: 253, realms: (1 << 16) | 2 }],
      ["0x10", { table: 16, protocol: 18 }],
      // a tracked route is protocol keepalived whatever it says (alloc_route), with the parser's warning
      [undefined, { protocol: 18 }],
    ]);
    expect(r.config.staticRules.map((x) => x.ids)).toEqual([
      { table: 100, tos: 0x30, realms: 2, protocol: 18 },
      { table: 254, protocol: 4 },
    ]);
  });

  test("an unknown name drops the line with keepalived's message at it; a skipped file line is a warning at file:line", () => {
    const r = load(`static_routes {
  10.1.0.0/16 dev eth0 table yourtable
  10.2.0.0/16 dev eth0 protocol birds no_track
  10.3.0.0/16 dev eth0 realms inner/nowhere
  10.4.0.0/16 dev eth0 scope galaxy
  10.5.0.0/16 dev eth0 tos AF99
  10.6.0.0/16 dev eth0
}
static_rules {
  from 10.1.0.0/16 table yourtable
  from 10.2.0.0/16 table unspec
}
`);
    expect(r.config.staticRoutes.map((x) => x.dst)).toEqual(["10.6.0.0/16"]);
    expect(r.config.staticRules).toEqual([]);
    expect(diags(r).filter((d) => /error|iproute-file/.test(d))).toEqual([
      "k.conf:5:3: error[unknown-rt-name]: Routing table yourtable not found for route",
      "k.conf:6:3: error[unknown-rt-name]: Protocol birds not found or invalid for route",
      "k.conf:7:3: error[unknown-rt-name]: Invalid realms inner/nowhere for route",
      "k.conf:8:3: error[unknown-rt-name]: Scope galaxy not found or invalid for route",
      "k.conf:9:3: error[unknown-rt-name]: TOS value AF99 is invalid",
      "k.conf:13:3: error[unknown-rt-name]: Routing table yourtable not found for rule",
      "k.conf:14:3: error[unknown-rt-name]: Table 0 is not valid",
      "/tmp/ipr/rt_tables:13:1: warning[iproute-file]: expected 'NUMBER NAME', found 3 field(s); line skipped",
    ]);
  });

  test("an address's scope from rt_scopes; an unknown one is ignored with keepalived's message, the address kept", () => {
    const r = parseConf("k.conf", {
      source: memorySource({
        "k.conf":
          "global_defs {\n  iproute_etc_dir /tmp/ipr\n}\nstatic_ipaddress {\n  10.9.0.1/24 dev eth0 scope campus\n  10.9.0.2/24 dev eth0 scope galaxy\n}\n",
      }),
      host: {
        interfaceExists: () => true,
        rtFiles: memFs({ ...files, "/tmp/ipr/rt_scopes": "0 global\n100 campus\n" }),
      },
    });
    expect(r.config.staticIpaddresses.map((a) => [a.address, a.scopeId])).toEqual([
      ["10.9.0.1", 100],
      ["10.9.0.2", undefined],
    ]);
    expect(diags(r)).toContain(
      "k.conf:6:3: error[unknown-rt-name]: Invalid scope 'galaxy' specified for 10.9.0.2 - ignoring",
    );
  });

  test("without iproute_etc_dir, /etc/iproute2 of the host (here: a host with no files) gives the built-in names only", () => {
    const r = parseConf("k.conf", {
      source: memorySource({
        "k.conf": "static_routes {\n  10.1.0.0/16 dev eth0 table main\n  10.2.0.0/16 dev eth0 table mytable\n}\n",
      }),
      host: { interfaceExists: () => true, rtFiles: memFs(files) },
    });
    expect(r.config.staticRoutes.map((x) => x.ids)).toEqual([{ table: 254, protocol: 18 }]);
    expect(diags(r)).toContain("k.conf:3:3: error[unknown-rt-name]: Routing table mytable not found for route");
  });
});
