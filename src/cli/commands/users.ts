import { SharedSessionError } from '../../errors/shared-session-error.js'
import { loadConfig, openUsers } from '../context.js'
import { readPassword } from '../read-password.js'

/**
 * `shared-session users add|list|remove|passwd`: manage the hub's built-in
 * user directory. Passwords are read from a hidden prompt or stdin, never
 * from arguments.
 *
 * @example
 * ```ts
 * await usersCommand('add', 'alice', { config: 'shared-session.json', email: 'alice@acme.com' })
 * ```
 */
export async function usersCommand(action: 'add' | 'list' | 'remove' | 'passwd', username: string | undefined, options: { config: string; email?: string; name?: string }): Promise<void> {
  const users = openUsers(loadConfig(options.config))
  try {
    if (action === 'list') {
      const all = users.list()
      if (all.length === 0) console.log('no users yet: shared-session users add <name>')
      for (const u of all) console.log(`${u.username}\t${u.email ?? '-'}\t${u.name ?? '-'}\t${u.sub}\t${new Date(u.createdAt).toISOString()}`)
      return
    }
    if (!username) throw new SharedSessionError('ERR_CONFIG_INVALID', `users ${action} needs a username`)
    if (action === 'remove') {
      if (!users.remove(username)) throw new SharedSessionError('ERR_CONFIG_INVALID', `no user "${username}"`)
      console.log(`removed ${username} (their sessions end at expiry; revoke now with: shared-session sessions revoke ${username})`)
      return
    }
    if (action === 'passwd' && !users.get(username)) throw new SharedSessionError('ERR_CONFIG_INVALID', `no user "${username}"`)
    const password = await readPassword(`Password for ${username}: `)
    if (action === 'add') {
      const user = await users.add({ username, password, ...(options.email ? { email: options.email } : {}), ...(options.name ? { name: options.name } : {}) })
      console.log(`added ${user.username} (${user.sub})`)
    } else {
      await users.setPassword(username, password)
      console.log(`password of ${username} changed`)
    }
  } finally {
    users.close()
  }
}
