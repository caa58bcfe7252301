// `keel ARGS...` in-process through cli.ts main, with what it wrote to stdout and stderr.
import { main } from "../../../src/cli";

export async function keel(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { code, out, err };
}
