import { SharedSessionError } from '../../errors/shared-session-error.js'
import { destroyUserSessions } from '../../sessions/destroy.js'
import { describeUserAgent } from '../../lib/user-agent.js'
import { mapUserSessions } from '../../sessions/map.js'
import { loadConfig, openLiveStore, openUsers } from '../context.js'

/**
 * `shared-session sessions list|revoke <username>`: see a user's sessions
 * as the hub's "Your sessions" page shows them (per device: browser and
 * platform, address, first and last seen, then each site holding it and
 * how it got it), or end them all ("log out everywhere" from the command line).
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
      const sessions = await mapUserSessions(store, user.sub)
      if (sessions.length === 0) console.log(`${username} has no live sessions`)
      for (const { session, ref, device, sites } of sessions) {
        const what = device ? describeUserAgent(device.userAgent).label : 'Unknown device'
        console.log(`session ${ref}\t${what}\t${device?.address ?? '-'}\tfirst seen ${iso(session.createdAt)}\tlast seen ${iso(session.lastSeenAt)}\tkeys ${Object.keys(session.data).join(',') || '-'}`)
        for (const held of sites) console.log(`  site ${held.site}\tvia ${held.via}\tsince ${iso(held.at)}`)
      }
    } else {
      console.log(`revoked ${await destroyUserSessions(store, user.sub)} session(s) of ${username}: every site sees them gone on its next request`)
    }
  } finally {
    await store.close()
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
