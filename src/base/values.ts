/**
 * A record of named model objects may hand out its values itself, one at a time, instead
 * of being read with Object.values (keel -t keeps 200,000 vrrp_scripts as packed columns,
 * src/config/packed-scripts.ts: Object.values would build every object at once).
 */
export const LAZY_VALUES: unique symbol = Symbol("lazy values");

type Lazy<T> = { [LAZY_VALUES]?: () => Iterable<T> };

/** The record's values in its key order: lazily when it provides them, else Object.values. */
export function valuesOf<T>(rec: Record<string, T>): Iterable<T> {
  const own = (rec as Lazy<T>)[LAZY_VALUES];
  return own ? own() : Object.values(rec);
}

/** Its keys and values in key order, one pair at a time (no array of all the pairs). */
export function* entriesOf<T extends { name: string }>(rec: Record<string, T>): Iterable<[string, T]> {
  const own = (rec as Lazy<T>)[LAZY_VALUES];
  // a lazy record is keyed by each value's name (the configuration's parser makes it)
  if (own) for (const v of own()) yield [v.name, v];
  else for (const k of Object.keys(rec)) yield [k, rec[k] as T];
}
