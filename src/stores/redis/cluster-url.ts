/**
 * What a `redis-cluster://` URL says: the seed nodes, credentials and TLS.
 *
 * @example
 * ```ts
 * const parsed: ClusterUrl = { nodes: [{ host: '10.0.0.1', port: 7001 }], tls: false }
 * ```
 */
export interface ClusterUrl {
  nodes: { host: string; port: number }[]
  username?: string
  password?: string
  tls: boolean
}

const CLUSTER_URL = /^(rediss?)-cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)\/?$/

/**
 * Parses `redis-cluster://[user[:password]@]host:port[,host:port…]` (or
 * `rediss-cluster://` for TLS): a Redis Cluster reached through any of the
 * listed nodes. Returns null for anything else. A host without a port means
 * 6379; user and password are percent-decoded as in any URL.
 *
 * @example
 * ```ts
 * parseClusterUrl('redis-cluster://10.0.0.1:7001,10.0.0.2:7001')
 * // { nodes: [{ host: '10.0.0.1', port: 7001 }, { host: '10.0.0.2', port: 7001 }], tls: false }
 * ```
 */
export function parseClusterUrl(url: string): ClusterUrl | null {
  const match = CLUSTER_URL.exec(url)
  if (match === null) return null
  const [, scheme, user, password, hostList] = match as unknown as [string, string, string | undefined, string | undefined, string]
  const nodes: { host: string; port: number }[] = []
  for (const entry of hostList.split(',')) {
    const hostPort = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(entry.trim())
    if (hostPort === null) return null
    const port = hostPort[2] === undefined ? 6379 : Number(hostPort[2])
    if (port < 1 || port > 65535) return null
    nodes.push({ host: hostPort[1]!.replace(/^\[|\]$/g, ''), port })
  }
  try {
    return {
      nodes,
      ...(user ? { username: decodeURIComponent(user) } : {}),
      ...(password !== undefined ? { password: decodeURIComponent(password) } : {}),
      tls: scheme === 'rediss',
    }
  } catch {
    return null // a malformed %-escape
  }
}
