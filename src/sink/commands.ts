// Parsing a client's command line: the verb, MAIL FROM / RCPT TO paths with their ESMTP
// parameters, BDAT sizes. Pure functions; the session decides the replies.

export interface CommandLine {
  /** Upper-cased verb ("MAIL"). */
  verb: string;
  /** Everything after the first space, as sent. */
  args: string;
}

export function splitCommand(line: string): CommandLine {
  const space = line.indexOf(' ');
  if (space < 0) return { verb: line.toUpperCase(), args: '' };
  return { verb: line.slice(0, space).toUpperCase(), args: line.slice(space + 1) };
}

export interface MailPath {
  address: string;
  /** ESMTP parameters, keys upper-cased ("SIZE" → "1000", "SMTPUTF8" → ""). */
  params: ReadonlyMap<string, string>;
}

/**
 * "FROM:<a@b> SIZE=10" (for keyword FROM) → { address: "a@b", params: SIZE=10 }. Accepts a
 * space after the colon and a bare address without brackets, as most servers do.
 */
/** MAIL FROM's and RCPT TO's path and parameters, compiled once (not once a command). */
const PATH = {
  FROM: /^FROM:\s*(?:<([^<>]*)>|([^\s<>]+))(.*)$/i,
  TO: /^TO:\s*(?:<([^<>]*)>|([^\s<>]+))(.*)$/i,
};

/** Most paths come with no parameters: they share one empty map. */
const NO_PARAMS: ReadonlyMap<string, string> = new Map();

export function parsePath(args: string, keyword: 'FROM' | 'TO'): MailPath | undefined {
  const match = PATH[keyword].exec(args);
  if (!match) return undefined;
  if (match[3] === '') return { address: match[1] ?? match[2], params: NO_PARAMS };
  const params = new Map<string, string>();
  for (const param of match[3].trim().split(/\s+/)) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    params.set((eq < 0 ? param : param.slice(0, eq)).toUpperCase(), eq < 0 ? '' : param.slice(eq + 1));
  }
  if (match[3] !== '' && !/^\s/.test(match[3])) return undefined;
  return { address: match[1] ?? match[2], params };
}

/** "1000 LAST" → { size: 1000, last: true }. */
export function parseBdat(args: string): { size: number; last: boolean } | undefined {
  const match = /^(\d{1,15})(?:\s+(LAST))?\s*$/i.exec(args);
  if (!match) return undefined;
  return { size: Number(match[1]), last: match[2] !== undefined };
}
