/**
 * PostgreSQL text cannot hold the NUL character, while session ids, link
 * hashes, nonces and data keys reaching a store may (hostile input does).
 * These two functions map any JavaScript string to one PostgreSQL accepts
 * and back, reversibly and injectively: `\u0001` is the escape character,
 * `\u0001` + `0` stands for NUL and `\u0001` + `1` for the escape itself.
 * Strings with neither character (all real ids) pass through untouched.
 *
 * @example
 * ```ts
 * await pool.query(sql, [toPgText(hash)])
 * toPgText('a\u0000b') // 'a\u00010b'
 * ```
 */
export function toPgText(text: string): string {
  if (!/[\u0000\u0001]/.test(text)) return text
  return text.replace(/[\u0000\u0001]/g, (c) => (c === '\u0000' ? '\u00010' : '\u00011'))
}

/**
 * The inverse of {@link toPgText}.
 *
 * @example
 * ```ts
 * fromPgText('a\u00010b') // 'a\u0000b'
 * ```
 */
export function fromPgText(text: string): string {
  if (!text.includes('\u0001')) return text
  return text.replace(/\u0001([01])/g, (_, d: string) => (d === '0' ? '\u0000' : '\u0001'))
}
