// Is a first line an FTP server's greeting? FTP and SMTP both greet with 220, so FTP is
// recognised only when the greeting names it: "FTP" as a word of its own, or inside the
// usual server names (vsFTPd, ProFTPD, Pure-FTPd, wu-ftpd). A host name such as
// "ftp.example.com" is not a mention, and a greeting that says SMTP or LMTP is never FTP's.

const NAMES_FTP = /(?<![\w.-])(?:vs|pro|pure-|wu-)?ftpd?s?(?![\w.-])/i;
const NAMES_MAIL = /\b(?:E?SMTP|LMTP)\b/i;

export function isFtpGreeting(line: string): boolean {
  return /^220[ -]/.test(line) && NAMES_FTP.test(line) && !NAMES_MAIL.test(line);
}
