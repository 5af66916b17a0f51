// Numbers for people: 1,234,567 and "1 connection", "2 connections". Grouped by hand, not
// with toLocaleString: its first call loads ICU's locale data, some 30 ms of every run.

/** A count or rate in groups of three, up to three decimals: 1234567.891 → "1,234,567.891". */
export function grouped(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const [whole, fraction] = Math.abs(n).toFixed(3).split('.');
  const sign = n < 0 ? '-' : '';
  const digits = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const decimals = fraction.replace(/0+$/, '');
  return `${sign}${digits}${decimals ? `.${decimals}` : ''}`;
}

/** "1 connection", "2 connections", "1,000 messages". */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${grouped(n)} ${n === 1 ? one : many}`;
}
