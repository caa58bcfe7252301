/**
 * The `global_defs { ... }` block: keepalived's install_keyword() list in
 * core/global_parser.c init_global_keywords(), split by subject into the defs-*.ts
 * tables. Several global_defs blocks may be given; they all write the same settings.
 */
import type { BlockSpec } from "../schema";
import { configAliases, configKeywords } from "./defs-config";
import { lvsKeywords } from "./defs-lvs";
import { notifyKeywords } from "./defs-notify";
import { processKeywords } from "./defs-process";
import { vrrpKeywords } from "./defs-vrrp";
import { tracked } from "./locations";
import { type GlobalDefs, createGlobalDefs } from "./model";

export const globalDefsSpec: BlockSpec<GlobalDefs> = {
  name: "global_defs",
  // config handling first: keepalived wants tmp_config_directory as early as possible
  keywords: tracked({
    ...configKeywords,
    ...notifyKeywords,
    ...processKeywords,
    ...vrrpKeywords,
    ...lvsKeywords,
  }),
  aliases: configAliases,
  create: createGlobalDefs,
};
