import { EventEmitter } from 'node:events'
import { connect as connectTcp, isIP, type Socket } from 'node:net'
import { connect as connectTls, type ConnectionOptions } from 'node:tls'

/**
 * Where and how {@link RespClient} connects.
 *
 * @example
 * ```ts
 * const options: RespClientOptions = { host: '127.0.0.1', port: 6379, commandTimeoutMs: 2000, connectTimeoutMs: 2000 }
 * ```
 */
export interface RespClientOptions {
  host: string
  port: number
  username?: string | undefined
  password?: string | undefined
  /** Database number (SELECT after connecting). */
  database?: number | undefined
  /** Node TLS options; present (even `{}`) means TLS. */
  tls?: ConnectionOptions | undefined
  /** A command without an answer after this long fails, and the connection is replaced. */
  commandTimeoutMs: number
  /** A connection (with its AUTH and SELECT) not made in this long fails and is tried again. */
  connectTimeoutMs: number
}

/**
 * `connecting` → `ready` ⇄ `reconnecting`; `end` once closed by its owner.
 *
 * @example
 * ```ts
 * if (client.status !== 'ready') await once(client, 'ready')
 * ```
 */
export type RespClientStatus = 'connecting' | 'ready' | 'reconnecting' | 'end'

interface Pending {
  resolve: (reply: unknown) => void
  reject: (err: Error) => void
  sentAt: number
}

/**
 * A reply Redis sent as an error (`-ERR …`, `-NOSCRIPT …`): the command
 * failed, the connection is fine.
 *
 * @example
 * ```ts
 * try {
 *   await client.evalsha(sha, 1, key)
 * } catch (err) {
 *   if (err instanceof RedisReplyError && err.message.startsWith('NOSCRIPT')) await client.eval(lua, 1, key)
 * }
 * ```
 */
export class RedisReplyError extends Error {
  override name = 'ReplyError'
}

/** Reconnect forever, at most a second apart. */
const backoff = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 5), 1000)

const CR = 13

/**
 * A lean Redis client for the store's hot path: one connection, RESP2,
 * every command pipelined (commands issued in one tick go out in one
 * write), replies parsed straight from the socket's buffers. It costs about
 * a third of ioredis' CPU per command here (see docs/benchmarks.md), which is
 * most of what a Redis-backed request costs beyond bare node:http.
 *
 * It behaves as the store needs while Redis is away: a command sent while
 * disconnected fails at once (`Connection is closed.`), one that gets no
 * answer within `commandTimeoutMs` fails (`Command timed out`) and the
 * stalled connection is replaced, and it reconnects forever, at most a
 * second apart, with AUTH and SELECT again. Events: `ready`, `error`
 * (emitted only when someone listens), `close`, `end`.
 *
 * Single server (or a Sentinel-fronted address) only; Redis Cluster goes
 * through ioredis' `Cluster` (see `createRedisClient`).
 *
 * @example
 * ```ts
 * const client = new RespClient({ host: '127.0.0.1', port: 6379, commandTimeoutMs: 2000, connectTimeoutMs: 2000 })
 * await once(client, 'ready')
 * await client.call('SET', 'greeting', 'hello') // 'OK'
 * await client.call('GET', 'greeting') // 'hello'
 * await client.quit()
 * ```
 */
export class RespClient extends EventEmitter {
  status: RespClientStatus = 'connecting'
  #options: RespClientOptions
  #socket: Socket | undefined
  #pending: Pending[] = []
  /** Commands of this tick not yet written. */
  #outgoing = ''
  #flushScheduled = false
  #input: Buffer | undefined
  #attempt = 0
  #reconnectTimer: NodeJS.Timeout | undefined
  #stallTimer: NodeJS.Timeout | undefined

  constructor(options: RespClientOptions) {
    super()
    this.#options = options
    this.#open()
  }

  /**
   * Sends one command and resolves with its reply: a string, a number, null,
   * or an array of those. Rejects with {@link RedisReplyError} when Redis
   * answers with an error, or with a connection error.
   */
  call(command: string, ...args: (string | number)[]): Promise<unknown> {
    if (this.status !== 'ready') return Promise.reject(new Error('Connection is closed.'))
    return this.#send(encodeCommand(command, args))
  }

  /** `EVALSHA sha numberOfKeys keys… args…`. */
  evalsha(sha: string, numberOfKeys: number, ...keysAndArgs: string[]): Promise<unknown> {
    return this.call('EVALSHA', sha, numberOfKeys, ...keysAndArgs)
  }

  /** `EVAL script numberOfKeys keys… args…` (also caches the script for EVALSHA). */
  eval(script: string, numberOfKeys: number, ...keysAndArgs: string[]): Promise<unknown> {
    return this.call('EVAL', script, numberOfKeys, ...keysAndArgs)
  }

  /** Starts connecting again after {@link disconnect}; resolves once ready. */
  async connect(): Promise<void> {
    if (this.status === 'ready') return
    if (this.status === 'end') {
      this.status = 'connecting'
      this.#attempt = 0
      this.#open()
    }
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        this.off('end', onEnd)
        resolve()
      }
      const onEnd = (): void => {
        this.off('ready', onReady)
        reject(new Error('Connection is closed.'))
      }
      this.once('ready', onReady)
      this.once('end', onEnd)
    })
  }

  /** Says QUIT (waiting for pending replies) and closes for good. */
  async quit(): Promise<void> {
    if (this.status === 'end') return
    if (this.status === 'ready') {
      try {
        await this.#send(encodeCommand('QUIT', []))
      } catch {
        // Gone already: nothing to say goodbye to.
      }
    }
    this.disconnect()
  }

  /** Closes at once and for good: pending commands fail, no reconnection. */
  disconnect(): void {
    if (this.status === 'end') return
    this.status = 'end'
    clearTimeout(this.#reconnectTimer)
    clearTimeout(this.#stallTimer)
    this.#socket?.destroy()
    this.#socket = undefined
    this.#failPending(new Error('Connection is closed.'))
    this.emit('end')
  }

  #send(text: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject, sentAt: Date.now() })
      this.#outgoing += text
      if (!this.#flushScheduled) {
        this.#flushScheduled = true
        setImmediate(this.#flush)
      }
      if (this.#stallTimer === undefined) this.#armStallTimer(this.#options.commandTimeoutMs)
    })
  }

  #flush = (): void => {
    this.#flushScheduled = false
    const text = this.#outgoing
    this.#outgoing = ''
    if (text !== '') this.#socket?.write(text)
  }

  /** One timer for all commands: when it fires, the oldest unanswered command decides. */
  #armStallTimer(ms: number): void {
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined
      const oldest = this.#pending[0]
      if (oldest === undefined) return
      const waited = Date.now() - oldest.sentAt
      if (waited < this.#options.commandTimeoutMs) {
        this.#armStallTimer(this.#options.commandTimeoutMs - waited)
        return
      }
      // A server that stopped answering: fail what waits, and start afresh on a new connection.
      this.#drop(new Error(`Command timed out after ${this.#options.commandTimeoutMs} ms`))
    }, ms)
    this.#stallTimer.unref()
  }

  #open(): void {
    const { host, port, tls, connectTimeoutMs } = this.#options
    // SNI takes a host name only (RFC 6066): an address connects without one, and is checked against the certificate's IP entries.
    const socket = tls === undefined ? connectTcp({ host, port }) : connectTls({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...tls })
    this.#socket = socket
    this.#input = undefined
    socket.setNoDelay(true)
    const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${connectTimeoutMs} ms (connect timed out)`)), connectTimeoutMs)
    timer.unref()
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => void this.#handshake(socket, timer))
    // Only the current connection's bytes are replies to what waits: a socket given up (timed out,
    // unreadable) must never answer a command sent on its successor.
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket === socket) this.#read(chunk)
    })
    socket.on('error', (err) => {
      clearTimeout(timer)
      if (this.listenerCount('error') > 0) this.emit('error', err)
      this.#lost(socket, err)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      this.#lost(socket, new Error('Connection is closed.'))
    })
  }

  /** AUTH and SELECT, as the first commands of a connection; then ready. */
  async #handshake(socket: Socket, timer: NodeJS.Timeout): Promise<void> {
    const { username, password, database } = this.#options
    const handshake: Promise<unknown>[] = []
    // Sent before the connection counts as ready, so not through call().
    if (password !== undefined) handshake.push(this.#send(encodeCommand('AUTH', username === undefined ? [password] : [username, password])))
    if (database !== undefined && database !== 0) handshake.push(this.#send(encodeCommand('SELECT', [database])))
    try {
      await Promise.all(handshake)
    } catch (err) {
      // A refused AUTH or SELECT is worth reporting; a connection that broke meanwhile was reported already.
      if (this.#socket === socket && this.listenerCount('error') > 0) this.emit('error', err)
      socket.destroy()
      return
    }
    clearTimeout(timer)
    if (this.#socket !== socket || this.status === 'end') return
    this.#attempt = 0
    this.status = 'ready'
    this.emit('ready')
  }

  #read(chunk: Buffer): void {
    const buffer = this.#input === undefined ? chunk : Buffer.concat([this.#input, chunk])
    let at = 0
    while (at < buffer.length) {
      let reply: unknown
      try {
        reply = readValue(buffer, at)
      } catch (err) {
        // Not Redis, or a stream out of step: nothing after this point can be trusted.
        this.#drop(err as Error)
        return
      }
      if (reply === INCOMPLETE) break
      at = cursor
      const waiting = this.#pending.shift()
      if (waiting === undefined) continue // an answer to a command already timed out and failed
      if (reply instanceof RedisReplyError) waiting.reject(reply)
      else waiting.resolve(reply)
    }
    this.#input = at < buffer.length ? buffer.subarray(at) : undefined
  }

  /** The connection broke (or was replaced): fail what waits, reconnect unless ended. */
  #lost(socket: Socket, err: Error): void {
    if (this.#socket !== socket) return
    this.#socket = undefined
    this.#failPending(err)
    if (this.status === 'end') return
    this.status = 'reconnecting'
    this.emit('close')
    clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = setTimeout(() => {
      if (this.status !== 'end') this.#open()
    }, backoff(this.#attempt++))
    this.#reconnectTimer.unref()
  }

  /** Gives up on the connection now (not when its 'close' comes): calls from here on wait for the next one. */
  #drop(err: Error): void {
    const socket = this.#socket
    if (socket === undefined) return
    this.#lost(socket, err)
    socket.destroy()
  }

  #failPending(err: Error): void {
    const pending = this.#pending
    this.#pending = []
    this.#outgoing = ''
    this.#input = undefined
    for (const waiting of pending) waiting.reject(err)
  }
}

/** One command in RESP: an array of bulk strings, each prefixed with its length in bytes. */
function encodeCommand(command: string, args: readonly (string | number)[]): string {
  let text = `*${args.length + 1}\r\n$${command.length}\r\n${command}\r\n`
  for (const arg of args) {
    const value = typeof arg === 'string' ? arg : String(arg)
    text += `$${Buffer.byteLength(value)}\r\n${value}\r\n`
  }
  return text
}

/** What {@link readValue} returns while the buffer holds only part of a reply. */
const INCOMPLETE = Symbol('incomplete')
/** Where the value {@link readValue} last read ends (a variable, not a result object per value: less garbage). */
let cursor = 0

/**
 * One RESP2 reply from `buffer` at `at`, and where it ends; undefined while
 * the buffer holds only part of it. Throws on bytes that are not RESP2.
 *
 * @example
 * ```ts
 * parseReply(Buffer.from('$5\r\nhello\r\n'), 0) // { reply: 'hello', end: 11 }
 * ```
 */
export function parseReply(buffer: Buffer, at: number): { reply: unknown; end: number } | undefined {
  const reply = readValue(buffer, at)
  return reply === INCOMPLETE ? undefined : { reply, end: cursor }
}

/** The decimal integer in `buffer` from `start` to `end`, read from the bytes (no string made). */
function readInteger(buffer: Buffer, start: number, end: number): number {
  const negative = buffer[start] === 0x2d
  let value = 0
  for (let i = negative ? start + 1 : start; i < end; i++) {
    const digit = buffer[i]! - 0x30
    if (digit < 0 || digit > 9) throw new Error('unreadable reply from Redis (not a number)')
    value = value * 10 + digit
  }
  return negative ? -value : value
}

function readValue(buffer: Buffer, at: number): unknown {
  const lineEnd = buffer.indexOf(CR, at)
  if (lineEnd === -1 || lineEnd + 1 >= buffer.length) return INCOMPLETE
  const type = buffer[at]
  const next = lineEnd + 2
  switch (type) {
    case 0x2b: // + simple string
      cursor = next
      return buffer.toString('latin1', at + 1, lineEnd)
    case 0x2d: // - error
      cursor = next
      return new RedisReplyError(buffer.toString('utf8', at + 1, lineEnd))
    case 0x3a: // : integer
      cursor = next
      return readInteger(buffer, at + 1, lineEnd)
    case 0x24: { // $ bulk string
      const length = readInteger(buffer, at + 1, lineEnd)
      if (length < 0) {
        cursor = next
        return null
      }
      if (next + length + 2 > buffer.length) return INCOMPLETE
      cursor = next + length + 2
      return buffer.toString('utf8', next, next + length)
    }
    case 0x2a: { // * array
      const count = readInteger(buffer, at + 1, lineEnd)
      if (count < 0) {
        cursor = next
        return null
      }
      const items: unknown[] = new Array(count)
      cursor = next
      for (let i = 0; i < count; i++) {
        const item = readValue(buffer, cursor)
        if (item === INCOMPLETE) return INCOMPLETE
        items[i] = item
      }
      return items
    }
    default:
      throw new Error(`unreadable reply from Redis (type byte ${type})`)
  }
}
