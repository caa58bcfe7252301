// The demo web server (`keel demo --serve-web PORT NAME`).
import { describe, expect, test } from "bun:test";
import { DEMO_WEB_FLAG, runDemoWeb, serveDemoWeb, webServerArgs } from "../../../src/demo/web";

describe("demo web server", () => {
  test("answers every path with its name", async () => {
    const s = serveDemoWeb(0, "web1", "127.0.0.1");
    try {
      for (const path of ["/", "/x/y"]) {
        const r = await fetch(`http://127.0.0.1:${s.port}${path}`);
        expect(r.status).toBe(200);
        expect(r.headers.get("x-server")).toBe("web1");
        expect(await r.text()).toBe("hello from web1\n");
      }
    } finally {
      s.stop();
    }
  });

  test("the command line the demo runs, and bad arguments", async () => {
    expect(webServerArgs(80, "web2")).toEqual(["demo", DEMO_WEB_FLAG, "80", "web2"]);
    const err: string[] = [];
    expect(await runDemoWeb(["http"], { out: () => {}, err: (s) => err.push(s) })).toBe(2);
    expect(err.join("")).toContain("PORT");
  });
});
