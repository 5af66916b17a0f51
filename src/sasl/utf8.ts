// Strict UTF-8: Buffer.toString('utf8') silently turns bad bytes into U+FFFD, which would
// let a garbage challenge parse as text.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8Strict(bytes: Buffer): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}
