import { createHash } from 'node:crypto'
import type { LinkVia, SessionRecord, SessionStore } from '../stores/store.js'
import { readDevice, type SessionDevice } from './device.js'
import { LINK_KEY_PREFIX } from './link.js'
import { fromRecord, type GlobalSession } from './session.js'

/**
 * One site holding a signed-in session: which site, how it got it, when,
 * and `ref`, the name "sign out this site" forms use. `hash` is the link's
 * store key: server-side only, never put in a page.
 *
 * @example
 * ```ts
 * const held: HeldSite = { site: 'forum', via: 'pull', at: 1767225600000, ref: 'u8Qp…', hash: 'Zk3…' }
 * ```
 */
export interface HeldSite {
  site: string
  via: LinkVia
  at: number
  ref: string
  hash: string
}

/**
 * One device of a user: its session, the device it was signed in on (null
 * when none was recorded), and the sites that hold it, oldest first. `ref`
 * names the session in forms without revealing its id.
 *
 * @example
 * ```ts
 * for (const { device, sites } of await mapUserSessions(store, 'u_42')) console.log(device?.address, sites.map((s) => s.site))
 * ```
 */
export interface MappedSession {
  session: GlobalSession
  ref: string
  device: SessionDevice | null
  sites: HeldSite[]
}

const VIAS: ReadonlySet<string> = new Set(['new', 'push', 'pull', 'login', 'token'])

/**
 * The session map of a user: every live session with its device and the
 * sites that hold it now. Each noted link is checked against the store, so
 * a site signed out since (or a link that expired) is not shown; such
 * stale notes are dropped from the session on the way.
 *
 * @example
 * ```ts
 * const map = await mapUserSessions(store, session.user.sub)
 * ```
 */
export async function mapUserSessions(store: SessionStore, sub: string, now = Date.now()): Promise<MappedSession[]> {
  const records = await store.listUserSessions(sub, now)
  return Promise.all(records.map((record) => mapSession(store, record, now)))
}

/**
 * A name for a session or a link that a page may carry in a form: a hash
 * of its id, so the page never holds the id itself. Only meaningful
 * against the signed-in user's own sessions (see `mapUserSessions`).
 *
 * @example
 * ```ts
 * const target = map.find((m) => m.ref === form.get('session'))
 * ```
 */
export function referenceOf(kind: 'session' | 'link', id: string): string {
  return createHash('sha256').update(`shared-session ${kind} reference\0${id}`).digest('base64url').slice(0, 22)
}

async function mapSession(store: SessionStore, record: SessionRecord, now: number): Promise<MappedSession> {
  const sites: HeldSite[] = []
  const stale: string[] = []
  await Promise.all(
    Object.entries(record.data)
      .filter(([key]) => key.startsWith(LINK_KEY_PREFIX))
      .map(async ([key, json]) => {
        const hash = key.slice(LINK_KEY_PREFIX.length)
        const note = parseNote(json)
        const live = note ? await store.resolveLink(hash, now) : null
        if (!note || live?.link.sessionId !== record.id) return void stale.push(key)
        sites.push({ ...note, ref: referenceOf('link', hash), hash })
      }),
  )
  if (stale.length > 0) await store.patchSession(record.id, { set: {}, unset: stale }).catch(() => false)
  sites.sort((a, b) => a.at - b.at || a.site.localeCompare(b.site))
  return { session: fromRecord(record), ref: referenceOf('session', record.id), device: readDevice(record.data), sites }
}

function parseNote(json: string): { site: string; via: LinkVia; at: number } | null {
  try {
    const note = JSON.parse(json) as { site?: unknown; via?: unknown; at?: unknown }
    if (typeof note.site !== 'string' || typeof note.via !== 'string' || !VIAS.has(note.via) || typeof note.at !== 'number') return null
    return { site: note.site, via: note.via as LinkVia, at: note.at }
  } catch {
    return null
  }
}
