// LMTP (RFC 2033) is SMTP with LHLO and one final reply per recipient.
import { smtpFamily } from '../smtp/index.js';

export const lmtp = smtpFamily(true);
