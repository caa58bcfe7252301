import { describe, expect, test } from "bun:test";
import { Diagnostics, formatDiagnostic } from "../../../src/config/diagnostics";
import { decomment, preprocess } from "../../../src/config/preprocess";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";

function run(files: Record<string, string>, configId = "h1") {
  const d = new Diagnostics();
  const lines = preprocess("/etc/k/main.conf", memorySource(files), d, {
    configId,
    randomSeed: 1,
    env: { HOME: "/root" },
  });
  return { text: lines.map((l) => l.text), lines, diags: d.items.map(formatDiagnostic) };
}

describe("decomment", () => {
  test("comments start with # or ! anywhere outside quotes", () => {
    expect(decomment("  priority 100 # high")).toBe("priority 100");
    expect(decomment("a ! b")).toBe("a");
    expect(decomment('script "echo #1 !x" # c')).toBe('script "echo #1 !x"');
    expect(decomment("x \\# y")).toBe("x # y");
  });
  test("a trailing backslash is kept for continued definitions", () => {
    expect(decomment("$A=1 \\")).toBe("$A=1 \\");
  });
});

describe("conditional lines", () => {
  test("@id keeps the line only on that host; @^id everywhere else", () => {
    const r = run({ "/etc/k/main.conf": "@h1 priority 150\n@h2 priority 100\n@^h1 state BACKUP\n@^h2 state MASTER\n" });
    expect(r.text).toEqual(["priority 150", "state MASTER"]);
  });
});

describe("definitions", () => {
  test("$NAME and ${NAME} substitute, recursively", () => {
    const r = run({ "/etc/k/main.conf": "$IF=eth0\n$DEV=dev $IF\n${DEV} x\nvip 10.0.0.1 $DEV\n" });
    expect(r.text).toEqual(["dev eth0 x", "vip 10.0.0.1 dev eth0"]);
  });
  test("$NAME must end at a blank, comma, paren or line end", () => {
    const r = run({ "/etc/k/main.conf": "$A=1\nx $Ab $A,$A)\n" });
    expect(r.text).toEqual(["x $Ab 1,1)"]);
  });
  test("multi-line definitions expand to several lines", () => {
    const r = run({
      "/etc/k/main.conf": "$BLOCK=virtual_ipaddress { \\\n  10.0.0.${N}/24 \\\n}\n$N=5\n$BLOCK\n",
    });
    expect(r.text).toEqual(["virtual_ipaddress {", "10.0.0.5/24", "}"]);
  });
  test("a comment line inside a multi-line definition is skipped; only an empty line ends it", () => {
    // keepalived lib/parser.c read_line: a line that decomment() empties is read past,
    // `len == 0` ends the definition (found in keepalived-devel-tools configs/notify866.conf)
    const r = run({
      "/etc/k/main.conf": "$VS= \\\nvs { \\\n#  quorum 2 \\\n   \n  alpha \\\n}\n$VS\n$E= \\\n\nafter\n",
    });
    expect(r.text).toEqual(["vs {", "alpha", "}", "after"]);
  });
  test("built-ins: _HASH, _BANG, _ENV, _INSTANCE, _PWD, _RANDOM", () => {
    const r = run({
      "/etc/k/main.conf": "a ${_HASH}${_BANG} ${_INSTANCE}\nb ${_ENV HOME}\nc ${_PWD}\nd ${_RANDOM 5 5}\n",
    });
    expect(r.text).toEqual(["a #! h1", "b /root", "c /etc/k", "d 5"]);
  });
  test("an undefined ${NAME} is left as written with a warning", () => {
    const r = run({ "/etc/k/main.conf": "x ${NOPE}\n" });
    expect(r.text).toEqual(["x ${NOPE}"]);
    expect(r.diags[0]).toContain("warning[undefined-variable]");
  });
  test("self-referencing definitions stop with an error, not a hang", () => {
    const r = run({ "/etc/k/main.conf": "$A=$A x\n$A\n" });
    expect(r.diags.some((d) => d.includes("error[recursive-definition]"))).toBe(true);
  });
});

describe("~SEQ and ~LST", () => {
  test("~SEQ(var, start, step, end) repeats the rest of the line", () => {
    const r = run({ "/etc/k/main.conf": "~SEQ(i, 1, 2, 7) vrid $i\n" });
    expect(r.text).toEqual(["vrid 1", "vrid 3", "vrid 5", "vrid 7"]);
  });
  test("one and two argument forms, descending, and hex", () => {
    expect(run({ "/etc/k/main.conf": "~SEQ(i, 3) a$i\n" }).text.join(" ").replace(/\$i/g, "")).toBe(
      "a1 a2 a3".replace(/(\d)/g, "$1"),
    );
    expect(run({ "/etc/k/main.conf": "~SEQ(i, 3) x $i\n" }).text).toEqual(["x 1", "x 2", "x 3"]);
    expect(run({ "/etc/k/main.conf": "~SEQ(i, 3, 1) x $i\n" }).text).toEqual(["x 3", "x 2", "x 1"]);
    expect(run({ "/etc/k/main.conf": "~SEQx(i, 9, 3, 15) x $i\n" }).text).toEqual(["x 9", "x c", "x f"]);
  });
  test("a ~SEQ can expand a multi-line definition and nest", () => {
    const r = run({ "/etc/k/main.conf": "$L=a $i \\\nb $j\n~SEQ(i, 1, 2) ~SEQ(j, 1, 2) $L\n" });
    expect(r.text).toEqual(["a 1", "b 1", "a 1", "b 2", "a 2", "b 1", "a 2", "b 2"]);
  });
  test("bad ~SEQ values are errors", () => {
    expect(run({ "/etc/k/main.conf": "~SEQ(i, 1, -1, 5) x\n" }).diags[0]).toContain("error[bad-seq]");
    expect(run({ "/etc/k/main.conf": "~SEQ(i, a) x\n" }).diags[0]).toContain("error[bad-seq]");
    expect(run({ "/etc/k/main.conf": "~SEQx(i, -1, 5) x\n" }).diags[0]).toContain("error[bad-seq]");
  });
  test("~LST with one variable and with tuples", () => {
    expect(run({ "/etc/k/main.conf": "~LST(n, eth0, eth1) if $n\n" }).text).toEqual(["if eth0", "if eth1"]);
    const r = run({ "/etc/k/main.conf": "~LST({a, b}, {1, x}, {2}) ${a}-$b\n" });
    expect(r.text).toEqual(["1-x", "2-"]);
  });
});

describe("include", () => {
  test("globs are relative to the including file and sorted", () => {
    const r = run({
      "/etc/k/main.conf": "a\ninclude conf.d/*.conf\nz\n",
      "/etc/k/conf.d/2.conf": "two\n",
      "/etc/k/conf.d/1.conf": "one\n",
    });
    expect(r.text).toEqual(["a", "one", "two", "z"]);
    expect(r.lines[1]).toMatchObject({ file: "/etc/k/conf.d/1.conf", line: 1 });
  });
  test("brace globs", () => {
    const r = run({ "/etc/k/main.conf": "include {a,b}.conf\n", "/etc/k/a.conf": "A\n", "/etc/k/b.conf": "B\n" });
    expect(r.text).toEqual(["A", "B"]);
  });
  test("a cycle is an error, not a hang", () => {
    const r = run({ "/etc/k/main.conf": "include a.conf\n", "/etc/k/a.conf": "include main.conf\nx\n" });
    expect(r.text).toEqual(["x"]);
    expect(r.diags).toEqual([
      "/etc/k/a.conf:1:1: error[include-cycle]: include cycle: /etc/k/main.conf -> /etc/k/a.conf -> /etc/k/main.conf",
    ]);
  });
  test("a missing file and a glob matching nothing are warnings; includer is quiet (keepalived's include_check 0)", () => {
    const r = run({ "/etc/k/main.conf": "include nope.conf\ninclude d/*.conf\nincluder d/*.conf\n" });
    expect(r.diags).toEqual([
      "/etc/k/main.conf:1:1: warning[include-not-found]: cannot read included file '/etc/k/nope.conf': no such file",
      "/etc/k/main.conf:2:1: warning[include-no-match]: include 'd/*.conf' matches no file",
    ]);
  });
  test("the include variants check what their letters say (lib/parser.c check_include)", () => {
    const r = run({
      "/etc/k/main.conf": "includem nope.conf\nincludew d/*.conf\nincluder nope.conf\nincludeb {x,y}.conf\n",
    });
    expect(r.diags).toEqual([
      "/etc/k/main.conf:1:1: error[include-not-found]: cannot read included file '/etc/k/nope.conf': no such file",
      "/etc/k/main.conf:2:1: error[include-no-match]: include 'd/*.conf' matches no file",
      // includer checks `read` only: a missing plain name is `match`
      "/etc/k/main.conf:3:1: warning[include-not-found]: cannot read included file '/etc/k/nope.conf': no such file",
      "/etc/k/main.conf:4:1: error[include-no-match]: include '{x,y}.conf' matches no file",
    ]);
  });
  test("global_defs include_check makes the problems it names errors, from where it is written", () => {
    const files = {
      "/etc/k/main.conf":
        "include before.conf\nglobal_defs {\n  include_check match\n}\ninclude after.conf\ninclude d/*.conf\n",
    };
    const r = parseConf("/etc/k/main.conf", { source: memorySource(files) });
    const said = r.diagnostics.items
      .filter((d) => d.code.startsWith("include-"))
      .map((d) => `${d.line} ${d.severity}[${d.code}]`);
    // keepalived's parser applies it as it reads: the include above it is only warned about;
    // `match` does not cover a wildcard matching nothing
    expect(said).toEqual(["1 warning[include-not-found]", "5 error[include-not-found]", "6 warning[include-no-match]"]);
  });
  test("definitions made in an included file are visible after it", () => {
    const r = run({ "/etc/k/main.conf": "include defs.conf\nx $V\n", "/etc/k/defs.conf": "$V=42\n" });
    expect(r.text).toEqual(["x 42"]);
  });
});

describe("never crashes", () => {
  test("random and truncated input produce lines or diagnostics, never a throw", () => {
    const alphabet = ' \t\n{}"#!$@~()=,\\SEQLSTxyz0123456789_.-/';
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let n = 0; n < 2000; n++) {
      let s = "";
      const len = Math.floor(rnd() * 200);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(() => run({ "/etc/k/main.conf": s })).not.toThrow();
    }
  });
});

describe("runaway definitions", () => {
  test("a multi-line definition that expands itself is an error, not an explosion", () => {
    const r = run({ "/etc/k/main.conf": "$VI= \\\nx ${I} \\\n~SEQ(I, 1, 3) $VI\n$VI\n" });
    expect(r.diags).toContain(
      "/etc/k/main.conf:4:1: error[recursive-definition]: multi-line definition $VI expands itself",
    );
  });
  test("definitions that double each other stop at the line limit", () => {
    const r = run({ "/etc/k/main.conf": "$A=$B $B\n$B=$A $A\n$A\n" });
    expect(r.diags).toEqual([
      "/etc/k/main.conf:3:1: error[line-too-long]: a line grows beyond 65536 characters when definitions are substituted",
    ]);
  });
});
