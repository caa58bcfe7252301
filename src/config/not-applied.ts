/**
 * Keywords keel reads (and checks) but does not act on, by keyword path (keel's spelling
 * of each segment: an alias is filed under the keyword it stands for), each with what
 * keel does instead. The parser warns `not-applied` at the first use of each path in a
 * file (schema.ts Ctx.run), COMPATIBILITY.md lists them (scripts/compatibility.ts), and
 * test/unit/config/compat.test.ts keeps the three in step.
 *
 * The audit behind the table: for each keyword, the model fields its handler writes
 * (recorded by scripts/compatibility.ts from the fixtures) and the run-time code that
 * reads them (src/vrrp, src/runtime, src/check, src/lvs). A keyword whose fields nothing
 * at run time reads is here, or in APPLIED_INDIRECTLY when run time reads it through a
 * config function; the compat test fails on one that is in neither.
 */

const IPTABLES =
  "keel has no iptables/ipset firewall: the vrrp_strict / no_accept drop rules go into nftables (the nftables keyword's table, else 'keepalived'), as keepalived does where iptables is nf_tables-based (Debian 12); the keyword is ignored";
const NAMESPACE = "keel has no ipsets (its firewall is nftables); the keyword is ignored";
const DUMP_FILE =
  "keepalived (2.4.3, the first to parse it) reads it nowhere and writes keepalived.stats / keepalived.json in $TMPDIR (or /tmp); so does keel: the keyword is ignored";

export const NOT_APPLIED: Readonly<Record<string, string>> = {
  // top level
  namespace_with_ipsets: NAMESPACE,

  // global_defs
  "global_defs.json_dump_file": DUMP_FILE,
  "global_defs.stats_dump_file": DUMP_FILE,
  "global_defs.tmp_config_directory":
    "keepalived keeps the copy of the configuration its children read in an unnamed file (O_TMPFILE) there instead of a memfd, which nothing outside it sees; keel's children read the file themselves and config_save_dir's copy is made from the file: the keyword is ignored",
  "global_defs.vrrp_ipsets": IPTABLES,
  "global_defs.vrrp_iptables": IPTABLES,

  // virtual_server
  "virtual_server.real_server.HTTP_GET.url.regex_stack":
    "keel's regular expressions (JavaScript's) have no stack size to set; the keyword is ignored",
  "virtual_server.real_server.SSL_GET.url.regex_stack":
    "keel's regular expressions (JavaScript's) have no stack size to set; the keyword is ignored",

  // vrrp_instance

  // vrrp_sync_group
};

/**
 * Keywords the run time reads through a function of the config layer rather than a model
 * field it names itself (so the field search of scripts/compatibility.ts cannot see it),
 * and what does the reading.
 */
export const APPLIED_INDIRECTLY: Readonly<Record<string, string>> = {
  "global_defs.include_check":
    "config/parse.ts reads it as each include is read (preprocess.ts includeProblem: which include problems are errors), from where it is written as keepalived's parser",
  "global_defs.iproute_etc_dir":
    "config/vrrp/rt-resolve.ts reads it at config load: route and rule table, protocol, scope, tos and realms names are looked up in its rt_tables & co. (and their .d directories), as keepalived 2.4's rttables.c; the run time gets the numbers",
  "global_defs.iproute_usr_dir":
    "config/vrrp/rt-resolve.ts reads it at config load: the iproute2 name files used when iproute_etc_dir has none (config/rt-names.ts)",
  "global_defs.random_seed":
    "config/load.ts reads the file again after seeding ${_RANDOM} with it (glibc's random(), base/glibc-random.ts): repeatable values, where keepalived 2.2.7's VRRP child gets other values on each start",
  track_group:
    "src/vrrp/track-board.ts and runtime/vrrp-driver.ts read it through staticTrackInterfaces() / staticsToRestore() (config/vrrp/static-track.ts)",
  "global_defs.vrrp_version": "src/vrrp/params.ts reads it through effectiveVersion() (config/vrrp/check.ts)",
  "vrrp_instance.lvs_sync_daemon_interface":
    "runtime/lvs-globals.ts and the SNMP modules read it through lvsSyncDaemonOf() (config/vrrp/lvs-syncd.ts): global lvs_sync_daemon IF inst INSTANCE, as keepalived makes it",
  "vrrp_instance.native_ipv6": "src/vrrp/params.ts reads it through instanceFamily() (config/vrrp/check.ts)",
  "vrrp_instance.no_virtual_ipaddress":
    "it only silences the warning about an instance without VIPs, as in keepalived (config/vrrp/check.ts)",
};

/** The last segment of every path in NOT_APPLIED: most keywords are not, and skip building a path. */
export const NOT_APPLIED_WORDS: ReadonlySet<string> = new Set(
  Object.keys(NOT_APPLIED).map((p) => p.slice(p.lastIndexOf(".") + 1)),
);

/** What keel does instead of applying the keyword at `path`, or undefined if keel applies it. */
export function notApplied(path: string): string | undefined {
  return Object.hasOwn(NOT_APPLIED, path) ? NOT_APPLIED[path] : undefined;
}
