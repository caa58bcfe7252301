/**
 * Keywords every checker shares (keepalived check_api.c install_checker_common_keywords):
 * the connection options and the timing options. MISC_CHECK has only the timing ones;
 * FILE_CHECK and BFD_CHECK have neither.
 */
import { type Keyword, boolField, intField, ipField, strField } from "../schema";
import { TIMER_MAX_UINT, portField, timerField } from "./common";
import type { CheckerTiming, ConnOpts } from "./model";

const UINT_MAX = 4294967295;

export const connKeywords: Record<string, Keyword<ConnOpts>> = {
  connect_ip: ipField<ConnOpts>("connectIp"),
  connect_port: portField<ConnOpts>("connectPort"),
  bindto: ipField<ConnOpts>("bindto"),
  bind_port: portField<ConnOpts>("bindPort"),
  bind_if: {
    // IFNAMSIZ - 1 characters at most (co_srcif_handler)
    parse: (c, n, t) => {
      if (!c.count(n, 1)) return;
      const v = n.args[0]?.text ?? "";
      if (v.length > 15)
        c.error(n.args[0] ?? n.keyword, "bad-value", `interface name '${v}' is too long (at most 15 characters)`);
      else t.bindIf = v;
    },
    emit: strField<ConnOpts>("bindIf").emit,
  },
  connect_timeout: timerField<ConnOpts>("connectTimeout", true, TIMER_MAX_UINT),
  fwmark: intField<ConnOpts>("fwmark", 0, UINT_MAX),
};

export const timingKeywords: Record<string, Keyword<CheckerTiming>> = {
  retry: intField<CheckerTiming>("retry", 0, UINT_MAX),
  delay_before_retry: timerField<CheckerTiming>("delayBeforeRetry", false),
  warmup: timerField<CheckerTiming>("warmup", false),
  delay_loop: timerField<CheckerTiming>("delayLoop", true),
  alpha: boolField<CheckerTiming>("alpha"),
  log_all_failures: boolField<CheckerTiming>("logAllFailures"),
};
