// safeReturnUrl answers plain relative paths without parsing them: the answer must be exactly what
// URL parsing gives, and everything that could be an open redirect must still be refused.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { safeReturnUrl } from '../../src/http/return-url.js'

const ALLOWED = new Set(['https://shop.com', 'http://forum.localhost:4000'])

/** What safeReturnUrl answered before its shortcut: parse, check the origin, give back href. */
function byParsing(raw: string, base: string): string | null {
  if (/[\\\u0000-\u001f\u007f]/.test(raw) || raw.startsWith('//')) return null
  try {
    const url = new URL(raw, base)
    return url.username || url.password || !ALLOWED.has(url.origin) ? null : url.href
  } catch {
    return null
  }
}

test('relative return paths: the same answer as URL parsing, for random paths over tricky characters', () => {
  const chars = "/ab.?#%2e'\"<> :@!$&()*+,;=~-_`{}|^[]E09\\\t"
  let seed = 13
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
  for (let i = 0; i < 20_000; i++) {
    let raw = '/'
    for (let n = next() % 12; n > 0; n--) raw += chars[next() % chars.length]
    for (const base of ['https://shop.com', 'http://forum.localhost:4000', 'https://evil.com']) {
      assert.equal(safeReturnUrl(raw, ALLOWED, base), byParsing(raw, base), `${JSON.stringify(raw)} on ${base}`)
    }
  }
})

test('relative return paths that could leave the allowed origins are refused', () => {
  for (const raw of ['//evil.com/x', '/\\evil.com', '/\t/evil.com', '/%2e%2e//evil.com']) {
    const url = safeReturnUrl(raw, ALLOWED, 'https://shop.com')
    assert.ok(url === null || new URL(url).origin === 'https://shop.com', `${raw} → ${url}`)
  }
  assert.equal(safeReturnUrl('/cart', ALLOWED, 'https://evil.com'), null, 'a base that is not allowed is no shortcut')
  assert.equal(safeReturnUrl('/cart?x=1#top', ALLOWED, 'https://shop.com'), 'https://shop.com/cart?x=1#top')
})
