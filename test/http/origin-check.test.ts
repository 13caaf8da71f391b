import assert from 'node:assert/strict'
import { test } from 'node:test'
import { originAllowed } from '../../src/http/origin-check.js'

const SITE = new Set(['https://shop.example'])
const req = (headers: Record<string, string>) => ({ method: 'POST', url: 'https://shop.example/x', headers: new Headers(headers) })

test('originAllowed: Origin decides; without it, only Sec-Fetch-Site: same-origin or a client that sends neither', () => {
  const cases: [Record<string, string>, boolean][] = [
    [{ origin: 'https://shop.example' }, true],
    [{ origin: 'https://evil.example' }, false],
    [{ origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }, false],
    [{ origin: 'null', 'sec-fetch-site': 'same-origin' }, true],
    [{ origin: 'null', 'sec-fetch-site': 'cross-site' }, false],
    [{ origin: 'null' }, false],
    [{ 'sec-fetch-site': 'same-origin' }, true],
    [{ 'sec-fetch-site': 'same-site' }, false],
    [{ 'sec-fetch-site': 'cross-site' }, false],
    [{}, true],
  ]
  for (const [headers, expected] of cases) assert.equal(originAllowed(req(headers), SITE), expected, JSON.stringify(headers))
})
