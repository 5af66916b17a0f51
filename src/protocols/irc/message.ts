// The parts of an IRC line (RFC 1459 §2.3.1, IRCv3 message tags):
//   [@tags SP] [:prefix SP] COMMAND [SP params] [SP :trailing]
// A numeric reply's code is the command word; its first parameter is the target (the
// client's nick, or "*" before registration).
export interface IrcMessage {
  /** Upper-cased command word or three-digit numeric; '' when the line has none. */
  command: string;
  /** Parameters, the trailing one (after " :") last and whole. */
  params: string[];
}

export function parseIrc(text: string): IrcMessage {
  let rest = text.replace(/\r$/, '');
  if (rest.startsWith('@')) rest = afterWord(rest);
  if (rest.startsWith(':')) rest = afterWord(rest);
  const params: string[] = [];
  const [command = '', ...words] = splitParams(rest);
  params.push(...words);
  return { command: command.toUpperCase(), params };
}

function afterWord(text: string): string {
  const space = text.indexOf(' ');
  return space < 0 ? '' : text.slice(space + 1).replace(/^ +/, '');
}

function splitParams(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    if (rest.startsWith(':') && out.length > 0) {
      out.push(rest.slice(1));
      break;
    }
    const space = rest.indexOf(' ');
    out.push(space < 0 ? rest : rest.slice(0, space));
    rest = space < 0 ? '' : rest.slice(space + 1).replace(/^ +/, '');
  }
  return out;
}

export const isNumeric = (command: string): boolean => /^\d{3}$/.test(command);
