import { SharedSessionError } from '../../errors/shared-session-error.js'
import { destroyUserSessions } from '../../sessions/destroy.js'
import { listUserSessions } from '../../sessions/list.js'
import { loadConfig, openLiveStore, openUsers } from '../context.js'

/**
 * `shared-session sessions list|revoke <username>`: see a user's sessions,
 * or end them all ("log out everywhere" from the command line).
 *
 * @example
 * ```ts
 * await sessionsCommand('revoke', 'alice', { config: 'shared-session.json' })
 * ```
 */
export async function sessionsCommand(action: 'list' | 'revoke', username: string, options: { config: string }): Promise<void> {
  const config = loadConfig(options.config)
  const users = openUsers(config)
  const user = users.get(username)
  users.close()
  if (!user) throw new SharedSessionError('ERR_CONFIG_INVALID', `no user "${username}"`)
  const store = await openLiveStore(config)
  try {
    if (action === 'list') {
      const sessions = await listUserSessions(store, user.sub)
      if (sessions.length === 0) console.log(`${username} has no live sessions`)
      for (const s of sessions) console.log(`${s.id.slice(0, 12)}…\tcreated ${new Date(s.createdAt).toISOString()}\tlast seen ${new Date(s.lastSeenAt).toISOString()}\tkeys ${Object.keys(s.data).join(',') || '-'}`)
    } else {
      console.log(`revoked ${await destroyUserSessions(store, user.sub)} session(s) of ${username}: every site sees them gone on its next request`)
    }
  } finally {
    await store.close()
  }
}
