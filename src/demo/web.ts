/**
 * The demo's web servers. A user has only the keel executable, so the demo starts it
 * again inside each web server's namespace as `keel demo --serve-web PORT NAME`: the
 * compiled binary is a Bun runtime, and this serves HTTP on 0.0.0.0:PORT, answering
 * every path with "hello from NAME" (and the name in an `x-server` header), until
 * SIGTERM/SIGINT. It prints "listening on PORT" once it accepts connections.
 *
 * src/cli.ts dispatches to `runDemoWeb` before anything else of `demo` (see DEMO_WEB_FLAG).
 * A binary without that dispatch prints its demo text and exits, harmlessly.
 */

/** `keel demo --serve-web PORT NAME` */
export const DEMO_WEB_FLAG = "--serve-web";

/** The arguments that start a demo web server (after the keel executable). */
export function webServerArgs(port: number, name: string): string[] {
  return ["demo", DEMO_WEB_FLAG, String(port), name];
}

export function webBody(name: string): string {
  return `hello from ${name}\n`;
}

export interface DemoWebServer {
  port: number;
  stop(): void;
}

/** Serve the demo page on 0.0.0.0:port (port 0: any free port). */
export function serveDemoWeb(port: number, name: string, hostname = "0.0.0.0"): DemoWebServer {
  const body = webBody(name);
  const server = Bun.serve({
    hostname,
    port,
    fetch: () => new Response(body, { headers: { "content-type": "text/plain; charset=utf-8", "x-server": name } }),
  });
  return { port: server.port ?? port, stop: () => server.stop(true) };
}

/**
 * `keel demo --serve-web PORT NAME` (args are what follows the flag). Resolves with the
 * exit status once a stop signal arrives; 2 on bad arguments.
 */
export async function runDemoWeb(args: string[], io: { out(s: string): void; err(s: string): void }): Promise<number> {
  const port = Number(args[0]);
  const name = args[1] ?? "web";
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err(`keel demo ${DEMO_WEB_FLAG}: PORT must be 0-65535, not '${args[0] ?? ""}'\n`);
    return 2;
  }
  let server: DemoWebServer;
  try {
    server = serveDemoWeb(port, name);
  } catch (e) {
    io.err(`keel demo ${DEMO_WEB_FLAG}: cannot listen on port ${port}: ${(e as Error).message}\n`);
    return 1;
  }
  io.out(`listening on ${server.port}\n`);
  return await new Promise<number>((resolve) => {
    const stop = () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      server.stop();
      resolve(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
