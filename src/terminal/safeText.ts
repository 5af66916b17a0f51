// Text that may go to the terminal as it is. Only this layer makes it: the escaper turns
// anything from the network into SafeText, the palette styles SafeText, and mailprobe's own
// words become SafeText through the `safe` template, whose interpolations must be SafeText
// (or numbers) already. Printer.lines() takes nothing else, so server text that skipped the
// escaper on its way to a report is a compile error, not a test gap.
declare const SAFE: unique symbol;

export type SafeText = string & { readonly [SAFE]: true };

/** mailprobe's own text: the literal parts are source code; every value must be safe already. */
export function safe(strings: TemplateStringsArray, ...values: Array<SafeText | number>): SafeText {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += String(values[i]) + strings[i + 1];
  return out as SafeText;
}

/** Safe pieces joined with mailprobe's own separator. */
export function joinSafe(pieces: readonly SafeText[], separator: string): SafeText {
  return pieces.join(separator) as SafeText;
}

/** A constant of mailprobe's own (no interpolation possible). */
export const EMPTY = '' as SafeText;
