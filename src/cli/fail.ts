import { isSharedSessionError } from '../errors/shared-session-error.js'

/**
 * Turn any error into one line a person can act on (no stack trace unless
 * `SHARED_SESSION_DEBUG=1`), and the exit code 1.
 *
 * @example
 * ```ts
 * program.parseAsync().catch(fail)
 * ```
 */
export function fail(err: unknown): never {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string }
  let line: string
  if (isSharedSessionError(err)) line = err.message
  else if (e?.code === 'EADDRINUSE') line = `port ${e.port ?? ''} is already in use on ${e.address ?? 'this machine'}; stop the other server or choose another port (--port / --port-base)`
  else if (e?.code === 'EACCES') line = `permission denied: ${e.message}`
  else line = e?.message ?? String(err)
  console.error(`shared-session: ${line}`)
  if (process.env.SHARED_SESSION_DEBUG === '1' && e?.stack) console.error(e.stack)
  process.exit(1)
}
