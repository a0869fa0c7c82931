/** Quotes one word for a POSIX shell only when it needs it, so command lines read as typed. */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  return /^[A-Za-z0-9_./=:@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
