// IMAP (RFC 3501 §4.3) and ManageSieve (RFC 5804 §1.2) announce a literal by ending a
// line with {n} (or {n+} for a non-synchronising one); n bytes of raw data follow.
export function literalLength(line: string): number | undefined {
  const match = /\{(\d{1,15})\+?\}$/.exec(line);
  return match ? Number(match[1]) : undefined;
}
