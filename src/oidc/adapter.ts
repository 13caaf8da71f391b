import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider'
import type { ClientRegistry } from './clients.js'
import { clientMetadata } from './clients.js'
import type { OidcStorage } from './storage.js'

/**
 * oidc-provider's storage, on an {@link OidcStorage}. Each model instance is
 * one value under `<Model>:<id>`; `uid` and `userCode` get a pointer value;
 * a grant keeps the set of its tokens so revoking it removes them all.
 * Clients are not stored here: they come from the {@link ClientRegistry},
 * read on every lookup, so `shared-session clients remove` takes effect at once.
 *
 * @example
 * ```ts
 * new Provider(issuer, { adapter: oidcAdapter(storage, registry, { idTokenAlg: 'EdDSA' }) })
 * ```
 */
export function oidcAdapter(storage: OidcStorage, registry: ClientRegistry, defaults: { idTokenAlg: string }, now: () => number = Date.now): AdapterFactory {
  return (model: string): Adapter => {
    if (model === 'Client') return clientAdapter(registry, defaults)
    const key = (id: string) => `${model}:${id}`
    return {
      async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
        // expiresIn is in seconds; a model without one (never here) would live a day.
        const expiresAt = now() + (expiresIn > 0 ? expiresIn : 86_400) * 1000
        await storage.set(key(id), payload, expiresAt)
        if (payload.grantId) await storage.addToSet(`grant:${payload.grantId}`, key(id), expiresAt)
        if (payload.uid) await storage.set(`${model}:uid:${payload.uid}`, id, expiresAt)
        if (payload.userCode) await storage.set(`${model}:userCode:${payload.userCode}`, id, expiresAt)
      },
      async find(id: string) {
        return (await storage.get(key(id))) as AdapterPayload | undefined
      },
      async findByUid(uid: string) {
        const id = await storage.get(`${model}:uid:${uid}`)
        return typeof id === 'string' ? ((await storage.get(key(id))) as AdapterPayload | undefined) : undefined
      },
      async findByUserCode(userCode: string) {
        const id = await storage.get(`${model}:userCode:${userCode}`)
        return typeof id === 'string' ? ((await storage.get(key(id))) as AdapterPayload | undefined) : undefined
      },
      async consume(id: string) {
        const payload = (await storage.get(key(id))) as AdapterPayload | undefined
        if (!payload) return
        const exp = typeof payload.exp === 'number' ? payload.exp * 1000 : now() + 60_000
        await storage.set(key(id), { ...payload, consumed: Math.floor(now() / 1000) }, exp)
      },
      async destroy(id: string) {
        await storage.delete(key(id))
      },
      async revokeByGrantId(grantId: string) {
        for (const member of await storage.members(`grant:${grantId}`)) await storage.delete(member)
      },
    }
  }
}

function clientAdapter(registry: ClientRegistry, defaults: { idTokenAlg: string }): Adapter {
  const readOnly = async () => {
    throw new TypeError('clients are registered with `shared-session clients add`, not through the provider')
  }
  return {
    async find(id: string) {
      const client = await registry.find(id)
      return client ? (clientMetadata(client, defaults) as AdapterPayload) : undefined
    },
    upsert: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: async () => undefined,
  }
}

/**
 * Revoke a grant: its tokens and codes, then the grant itself.
 *
 * @example
 * ```ts
 * await revokeGrant(storage, grantId)
 * ```
 */
export async function revokeGrant(storage: OidcStorage, grantId: string): Promise<void> {
  for (const member of await storage.members(`grant:${grantId}`)) await storage.delete(member)
  await storage.delete(`grant:${grantId}`)
  await storage.delete(`Grant:${grantId}`)
}

/**
 * Delete a model instance found by its `uid` (a provider session).
 *
 * @example
 * ```ts
 * await destroyByUid(storage, 'Session', uid)
 * ```
 */
export async function destroyByUid(storage: OidcStorage, model: string, uid: string): Promise<void> {
  const id = await storage.get(`${model}:uid:${uid}`)
  if (typeof id === 'string') await storage.delete(`${model}:${id}`)
  await storage.delete(`${model}:uid:${uid}`)
}
