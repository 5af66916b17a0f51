// IRC framing. IRC is asynchronous: the server sends NOTICEs, PINGs and numerics whenever
// it likes, and most commands get no reply at all, or several, or one much later. So a
// line is *final* (completes a reply) only when it ends what mailprobe waits for:
//
//   greeting    IRC has none (the spec says greets: false); a framer made with a greeting
//               anyway takes the first line the server sends for it.
//   STARTTLS    670 RPL_STARTTLS (go ahead), 691 ERR_STARTTLS (refused), 421 (unknown
//               command) or 451 (not registered) naming STARTTLS: not offered, as
//               s_client reads them; or ERROR (the server hangs up).
//               A complete CAP LS answer that does not list tls ends it too: InspIRCd 3
//               without its starttls module never answers STARTTLS at all (capLs.ts).
//   welcome     once NICK and USER are both sent: 001, a refusal numeric or ERROR
//               (registration.ts), so a piped session does not QUIT before it.
//   QUIT        ERROR (RFC 2812 §3.1.7: the server acknowledges QUIT with ERROR).
//
// Every other line — NOTICE, PING, welcome numerics, the CAP LS answer, a 421 for another
// command — is shown but not final. That is on purpose: the connection core takes a final
// line that answers no command before STARTTLS as injection, and an IRC server's unasked
// NOTICEs and PINGs answer nothing by design. Made final, they would make every IRC server
// look like an injector; left non-final, they wait inside the reply under way (the
// STARTTLS reply, the welcome) and are shown there. The core's other rule still holds:
// after the 670 nothing is read as plaintext. Lines that come with nothing awaited (in a
// -plain or -tls session) sit in the core's reply under way; the spec's
// `unpromptedLines` tells the core they are no sign of injection when a STARTTLS typed by
// hand goes out (a stray final reply, such as an early 670, still is).
import { FramerBase, verbOf, type LineDecision } from '../framerBase.js';
import type { Framer, Tone } from '../types.js';
import { CapLsAnswer } from './capLs.js';
import { isNumeric, parseIrc } from './message.js';
import { endsRegistration, Registration } from './registration.js';

type Awaited = 'greeting' | 'starttls' | 'welcome' | 'quit';

/** Tags may take 8191 bytes and the rest of the line 512 (IRCv3 message-tags). */
const IRC_HEAD_CHARS = 8191 + 512;

export const RPL_STARTTLS = '670';
export const ERR_STARTTLS = '691';
export const ERR_UNKNOWNCOMMAND = '421';
export const ERR_NOTREGISTERED = '451';

/** "421 <target> STARTTLS :Unknown command", "451 * STARTTLS :You have not registered". */
export function refusesStartTlsCommand(command: string, params: string[]): boolean {
  return (command === ERR_UNKNOWNCOMMAND || command === ERR_NOTREGISTERED) && (params[1] ?? '').toUpperCase() === 'STARTTLS';
}

export function toneOfIrc(text: string): Tone {
  const { command } = parseIrc(text);
  if (command === '') return 'malformed';
  if (command === 'ERROR') return 'bye';
  if (command === RPL_STARTTLS || command === '001') return 'ok';
  if (command === ERR_STARTTLS || /^[45]\d\d$/.test(command)) return 'permfail';
  if (isNumeric(command) || /^[A-Z]+$/.test(command)) return 'info';
  return 'malformed';
}

/** Does this line end the reply to STARTTLS? */
export function endsStartTls(text: string): boolean {
  const { command, params } = parseIrc(text);
  if (command === RPL_STARTTLS || command === ERR_STARTTLS || command === 'ERROR') return true;
  // "421 <target> <command> :Unknown command": only the 421 for STARTTLS itself, not the
  // one for the CAP LS sent before it by a server that knows no CAP.
  return refusesStartTlsCommand(command, params);
}

export class IrcFramer extends FramerBase implements Framer {
  private readonly awaiting: Awaited[];
  private readonly capLs = new CapLsAnswer();
  private readonly registration = new Registration();

  constructor(maxLine?: number, greeting = true) {
    super(maxLine, IRC_HEAD_CHARS);
    this.awaiting = greeting ? ['greeting'] : [];
  }

  /** Only STARTTLS, the line that completes registration, and QUIT wait for a reply; every other line goes out unpaced. */
  sent(line: string): number {
    const verb = verbOf(line);
    if (verb === 'STARTTLS') this.awaiting.push('starttls');
    else if (verb === 'QUIT') this.awaiting.push('quit');
    else if (this.registration.sent(line) && !this.awaiting.includes('welcome')) this.awaiting.push('welcome');
    else return 0;
    return 1;
  }

  protected toneOf(head: string): Tone {
    return toneOfIrc(head);
  }

  protected decide(head: string): LineDecision {
    const tone = toneOfIrc(head);
    const capLs = this.capLs.push(head);
    const awaited = this.awaiting[0];
    const ends = this.ends(awaited, head) || (awaited === 'starttls' && capLs === 'lacks tls');
    // Seen whenever it comes, so a PONG after registration never waits for a second welcome.
    this.registration.heard(head);
    if (ends) this.awaiting.shift();
    return { tone, final: ends };
  }

  private ends(awaited: Awaited | undefined, head: string): boolean {
    if (awaited === 'greeting') return true;
    if (awaited === 'starttls') return endsStartTls(head);
    if (awaited === 'welcome') return endsRegistration(head);
    if (awaited === 'quit') return parseIrc(head).command === 'ERROR';
    // A STARTTLS answer with no STARTTLS sent is a reply that answers nothing: final, so the
    // core counts it as stray (and stops a STARTTLS typed after it as injection).
    const { command } = parseIrc(head);
    return command === RPL_STARTTLS || command === ERR_STARTTLS;
  }
}
