/** The demo controller's API (re-exported by src/demo/index.ts). */

export interface DemoRouter {
  name: string;
  socketPath: string;
  running: boolean;
  checkFailing: boolean;
  linkUp: boolean;
}

export interface DemoController {
  mode: "namespaces" | "simulated";
  /** one line for the screen, e.g. "simulated network (no root): virtual time at 1x real time" or "namespaces keel-demo-xxxx: 3 routers, 2 web servers, 1 client" */
  banner: string;
  routers: DemoRouter[];
  /** the VIP the routers elect a master for ("10.213.X.100") */
  vip: string;
  /** the temporary directory with the configs, sockets, logs (`<router>.log`) and flag files */
  dir: string;
  /** namespace mode: every namespace the demo made (all start with the same unique prefix) */
  namespaces?: string[];
  /** kill (SIGKILL) a running router / start it again */
  toggleRouter(name: string): Promise<void>;
  /** make its vrrp_script fail / pass */
  toggleCheck(name: string): Promise<void>;
  /** cut / restore its link */
  toggleLink(name: string): Promise<void>;
  /** remove everything it made (namespaces, processes, files); idempotent; also runs on SIGINT/SIGTERM/exit */
  close(): Promise<void>;
}

export interface DemoOptions {
  /** the keel executable to run in the namespaces (default: this executable when compiled, else dist/keel) */
  keelPath?: string;
  /** true: namespaces (needs root); false: the simulated network; undefined: namespaces when root, falling back to simulated if they cannot be made */
  root?: boolean;
  /** one line per event worth showing: routers' log lines ("r1: ..."), demo actions */
  log?: (line: string) => void;
}
