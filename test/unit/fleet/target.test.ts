import { describe, expect, test } from "bun:test";
import { parseFleetFile } from "../../../src/fleet/file";
import { parseTarget, targetArgv, targetName } from "../../../src/fleet/target";

describe("targets", () => {
  test("unix:PATH connects directly", () => {
    const t = parseTarget("unix:/run/keel/keel.sock");
    expect(t).toEqual({ ok: true, value: { kind: "unix", path: "/run/keel/keel.sock" } });
    if (t.ok) {
      expect(targetArgv(t.value)).toBeUndefined();
      expect(targetName(t.value)).toBe("/run/keel/keel.sock");
    }
  });

  test("exec:COMMAND runs sh -c COMMAND", () => {
    const t = parseTarget("exec:ip netns exec h1 keel control --stdio");
    expect(t.ok && targetArgv(t.value)).toEqual(["sh", "-c", "ip netns exec h1 keel control --stdio"]);
  });

  test("ssh:// with user, port and socket runs ssh in BatchMode with keel control --stdio", () => {
    const t = parseTarget("ssh://admin@lb1.example:2222?socket=/run/k/keel.sock");
    expect(t).toEqual({
      ok: true,
      value: { kind: "ssh", user: "admin", host: "lb1.example", port: 2222, socket: "/run/k/keel.sock" },
    });
    expect(t.ok && targetArgv(t.value)).toEqual([
      "ssh",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=5",
      "-o",
      "ServerAliveInterval=5",
      "-p",
      "2222",
      "-l",
      "admin",
      "--",
      "lb1.example",
      "keel",
      "control",
      "--stdio",
      "--control-socket",
      "'/run/k/keel.sock'",
    ]);
  });

  test("ssh:// to a bare host and an IPv6 literal", () => {
    const t = parseTarget("ssh://10.0.0.1");
    expect(t.ok && targetArgv(t.value)?.slice(-5)).toEqual(["--", "10.0.0.1", "keel", "control", "--stdio"]);
    const v6 = parseTarget("ssh://root@[2001:db8::1]:22");
    expect(v6.ok && v6.value).toEqual({ kind: "ssh", user: "root", host: "2001:db8::1", port: 22 });
  });

  test("a socket path with a quote stays one word for the remote shell", () => {
    const t = parseTarget("ssh://h?socket=/tmp/it's.sock");
    expect(t.ok && targetArgv(t.value)?.at(-1)).toBe("'/tmp/it'\\''s.sock'");
  });

  test.each([
    ["tcp://h:1", /not unix:PATH, ssh:/],
    ["unix:", /needs a socket path/],
    ["exec:  ", /needs a command/],
    ["ssh://", /not an ssh|needs a host/],
    ["ssh://u:pw@h", /no password/],
    ["ssh://h/path", /no path/],
    ["ssh://h?sock=/x", /unknown parameter 'sock'/],
    ["ssh://h?socket=rel.sock", /absolute/],
    ["ssh://-oProxyCommand=x", /may not start with '-'|not an ssh/],
    ["h1", /not unix:PATH/],
  ])("%s is refused", (text, why) => {
    const t = parseTarget(text);
    expect(t.ok).toBe(false);
    if (!t.ok) {
      expect(t.error).toContain(`'${text}'`);
      expect(t.error).toMatch(why);
    }
  });
});

describe("fleet.toml", () => {
  test("[nodes] name = target", () => {
    const f = parseFleetFile(
      "fleet.toml",
      '[nodes]\nlb1 = "ssh://root@10.0.0.1"\nlab = "exec:ip netns exec h3 keel control --stdio"\n',
    );
    expect(f.ok && f.nodes.map((n) => [n.name, n.parsed.kind])).toEqual([
      ["lb1", "ssh"],
      ["lab", "exec"],
    ]);
  });

  test("a bad target names file:line and the node", () => {
    const f = parseFleetFile("f.toml", '# nodes\n[nodes]\nlb1 = "ssh://a"\nlb2 = "tcp://b"\n');
    expect(f).toEqual({
      ok: false,
      errors: [
        "f.toml:4: node 'lb2': target 'tcp://b': not unix:PATH, ssh://[user@]host[:port][?socket=PATH] or exec:COMMAND",
      ],
    });
  });

  test("a syntax error names file:line:col", () => {
    const f = parseFleetFile("f.toml", '[nodes]\nlb1 = "ssh://a\n');
    expect(f.ok).toBe(false);
    if (!f.ok) expect(f.errors[0]).toMatch(/^f\.toml:2:\d+: /);
  });

  test("unknown keys, a non-string target and an empty file are errors", () => {
    const f = parseFleetFile("f.toml", 'title = "x"\n[nodes]\nlb1 = 5\n');
    expect(f.ok === false && f.errors).toEqual([
      "f.toml:1: unknown key 'title' (a fleet file has a [nodes] table)",
      "f.toml:3: node 'lb1': the target must be a string",
    ]);
    expect(parseFleetFile("f.toml", "")).toEqual({ ok: false, errors: ["f.toml:1: no [nodes] table"] });
    expect(parseFleetFile("f.toml", "[nodes]\n")).toEqual({ ok: false, errors: ["f.toml:1: [nodes] names no node"] });
  });
});
