/**
 * Escape text for HTML element content and double-quoted attributes.
 *
 * @example
 * ```ts
 * `<p>Signed in as ${escapeHtml(user.name)}</p>`
 * ```
 */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
