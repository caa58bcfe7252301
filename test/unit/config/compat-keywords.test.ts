/**
 * scripts/keepalived-keywords.ts replays keepalived's install_* calls: run it on a small
 * git repository shaped like keepalived's sources (a root, sublevels, a wrapper taking the
 * keyword as a parameter, a helper called with `false` that guards keywords with
 * `if (param)`, a wrapper guarding one with `if (!strcmp(keyword, ...))`, #if branches,
 * comments) and compare the paths it finds.
 */
import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract } from "../../../scripts/keepalived-keywords";

const dir = mkdtempSync(join(tmpdir(), "keel-kw-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function git(...args: string[]): void {
  const r = spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
}

const parser = `
#include "parser.h"
/* install_keyword("in_a_comment", &h); */
static void
common_keywords(bool connection)
{
	if (connection) {
		install_keyword("connect_ip", &co_ip_handler);
	} else {
		install_keyword("no_connection", &x_handler);
	}
	install_keyword("retry", &retry_handler);	// trailing comment
}

static void
install_http(const char *keyword)
{
	install_keyword(keyword, &http_handler);
	install_sublevel(NULL);
	if (!strcmp(keyword, "SSL_GET"))
		install_keyword("tls_compliant", &tls_handler);
	if (strcmp(keyword, "SSL_GET")) {
		install_keyword("plain_only", &plain_handler);
	}
	install_keyword("path", &path_handler);
	install_sublevel_end(NULL);
}

static void
install_conditional(const char *string, void (*handler) (const vector_t *), bool want)
{
	install_keyword(string, want ? handler : ignore_handler);
}

void
init_keywords(bool active)
{
	vpp_t p;

	install_keyword_root("virtual_server", &vs_handler, active, NULL);
	install_keyword("delay_loop", &delay_handler);
	install_keyword("real_server", &rs_handler);
	p = install_sublevel(VPP &current_rs);
	install_keyword("weight", &w_handler);
	install_keyword("TCP_CHECK", &tcp_handler);
	install_sublevel(NULL);
	common_keywords(true);
	install_sublevel_end(NULL);
	install_keyword("MISC_CHECK", &misc_handler);
	install_sublevel(NULL);
	common_keywords(false);
	install_keyword_quoted("misc_path", &path_handler);
	install_sublevel_end(NULL);
	install_http("HTTP_GET");
	install_http("SSL_GET");
	install_sublevel_end(p);
#ifdef _WITH_SNMP_
	install_keyword("snmp_name", &snmp_handler);
#else
	install_keyword("snmp_name", &other_handler);
#endif
	install_keyword_root("bfd_instance", &bfd_handler, active, NULL);
	install_conditional("min_rx", &minrx_handler, true);
}
`;

test("the paths of a keepalived-like source tree", () => {
  mkdirSync(join(dir, "keepalived/check"), { recursive: true });
  writeFileSync(join(dir, "keepalived/check/check_parser.c"), parser);
  git("init", "-q");
  git("add", ".");
  git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x");
  git("tag", "v9.9.9");
  expect(extract(join(dir, ".git"), "v9.9.9")).toEqual([
    "bfd_instance",
    "bfd_instance.min_rx",
    "virtual_server",
    "virtual_server.delay_loop",
    "virtual_server.real_server",
    "virtual_server.real_server.HTTP_GET",
    "virtual_server.real_server.HTTP_GET.path",
    "virtual_server.real_server.HTTP_GET.plain_only",
    "virtual_server.real_server.MISC_CHECK",
    "virtual_server.real_server.MISC_CHECK.misc_path",
    "virtual_server.real_server.MISC_CHECK.no_connection",
    "virtual_server.real_server.MISC_CHECK.retry",
    "virtual_server.real_server.SSL_GET",
    "virtual_server.real_server.SSL_GET.path",
    "virtual_server.real_server.SSL_GET.tls_compliant",
    "virtual_server.real_server.TCP_CHECK",
    "virtual_server.real_server.TCP_CHECK.connect_ip",
    "virtual_server.real_server.TCP_CHECK.retry",
    "virtual_server.real_server.weight",
    "virtual_server.snmp_name",
  ]);
});
