import type { Redis } from 'ioredis'
import { guardStore } from '../stores/unavailable.js'
import type { OidcStorage } from './storage.js'

/**
 * An {@link OidcStorage} in Redis, for several hub instances: values under
 * `<prefix>v:<key>` with native expiry (`SET … PXAT`), sets under
 * `<prefix>s:<key>` that live as long as their longest member. Pass an
 * ioredis client of your own (the session store's URL is a good choice);
 * the storage never closes it. Errors surface as `ERR_STORE_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * const storage = createRedisOidcStorage({ client: new Redis(process.env.REDIS_URL!, { commandTimeout: 2000 }), prefix: 'acme:oidc:' })
 * ```
 */
export function createRedisOidcStorage(options: { client: Redis; prefix?: string }): OidcStorage {
  const { client } = options
  const prefix = options.prefix ?? 'ss:oidc:'
  const v = (key: string) => `${prefix}v:${key}`
  const s = (key: string) => `${prefix}s:${key}`
  const guard = <T>(operation: string, run: () => Promise<T>) => guardStore('redis', `oidc ${operation}`, run)
  return {
    get: (key) =>
      guard('get', async () => {
        const json = await client.get(v(key))
        return json === null ? undefined : JSON.parse(json)
      }),
    set: (key, value, expiresAt) =>
      guard('set', async () => {
        // Already expired: nothing to keep (PXAT in the past would be an error).
        if (expiresAt <= Date.now()) await client.del(v(key))
        else await client.set(v(key), JSON.stringify(value), 'PXAT', expiresAt)
      }),
    delete: (key) => guard('delete', async () => void (await client.del(v(key), s(key)))),
    addToSet: (key, member, expiresAt) =>
      guard('addToSet', async () => {
        if (expiresAt <= Date.now()) return
        // A fresh set has no expiry: NX gives it one; GT only ever extends it.
        const results = await client.multi().sadd(s(key), member).pexpireat(s(key), expiresAt, 'GT').pexpireat(s(key), expiresAt, 'NX').exec()
        const failed = results?.find(([err]) => err)
        if (!results || failed) throw failed?.[0] ?? new Error('the transaction was discarded')
      }),
    members: (key) => guard('members', () => client.smembers(s(key))),
    removeFromSet: (key, member) => guard('removeFromSet', async () => void (await client.srem(s(key), member))),
    close: async () => undefined,
  }
}
