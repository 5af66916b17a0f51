// No protocol known (an unusual port with -tls or -plain and no -proto): lines are shown
// as they come, and input is sent without waiting for replies.
import { FramerBase } from '../framerBase.js';
import type { RawLine } from '../lineSplitter.js';
import { startTlsUnavailable } from '../../errors.js';
import type { Framer, ProtocolSpec, ServerLine } from '../types.js';

class RawFramer extends FramerBase implements Framer {
  sent(): number {
    return 0;
  }

  protected classify(raw: RawLine): ServerLine {
    return this.plain(raw, 'info', false);
  }
}

export const raw: ProtocolSpec = {
  name: 'raw',
  label: 'raw',
  defaultPort: 0,
  quitCommand: () => '',
  createFramer: () => new RawFramer(),
  startTls: () => Promise.reject(startTlsUnavailable('STARTTLS needs a protocol: give -starttls smtp|lmtp|imap|pop3|sieve')),
  afterTls: () => Promise.resolve(undefined),
  isStartTlsCommand: () => false,
  isStartTlsGoAhead: () => false,
  isQuitCommand: () => false,
};
