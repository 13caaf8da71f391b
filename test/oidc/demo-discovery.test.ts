import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startDemo } from '../../src/demo/start-demo.js'
import { randomPortBase } from '../helpers/demo.js'

test("the demo's hub serves OpenID Connect discovery, pointing at its own JWKS", async () => {
  const portBase = randomPortBase()
  const demo = await startDemo({ portBase, store: 'memory', log: () => undefined })
  try {
    const hub = demo.sites[0]!.origin
    const response = await fetch(`http://127.0.0.1:${portBase}/.well-known/openid-configuration`)
    assert.equal(response.status, 200)
    const discovery = (await response.json()) as Record<string, unknown>
    assert.equal(discovery.issuer, hub)
    assert.equal(discovery.jwks_uri, `${hub}/.well-known/jwks.json`)
    assert.equal(discovery.authorization_endpoint, `${hub}/oidc/auth`)
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256'])
    assert.equal(discovery.backchannel_logout_supported, true)
    const jwks = (await (await fetch(`http://127.0.0.1:${portBase}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    assert.deepEqual(jwks.keys.map((k) => k.kid), [demo.hub.context.ring.signer.kid])
  } finally {
    await demo.close()
  }
})
