/** A keepalived.conf text as keel's model; any error fails the test. */
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";

export function cfg(text: string) {
  const r = parseConf("/mem.conf", {
    source: memorySource({ "/mem.conf": text }),
    host: { interfaceExists: () => true },
    configId: "t",
  });
  const errs = r.diagnostics.items.filter((d) => d.severity === "error");
  if (errs.length) throw new Error(JSON.stringify(errs));
  return r.config;
}
