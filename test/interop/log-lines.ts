/**
 * What the interop tests that compare keel's log with keepalived's line by line share:
 * a line without the console's ctime prefix (`-l`: "Sun Dec  6 10:07:31 2026: "), which
 * differs between any two runs.
 */
export const bare = (text: string): string => text.replace(/^\w{3} \w{3} +\d+ [\d:]+ \d{4}: /, "");
