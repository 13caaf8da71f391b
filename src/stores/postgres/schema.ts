import type { Pool } from 'pg'
import { SharedSessionError } from '../../errors/shared-session-error.js'

/**
 * Schema migrations, oldest first; `{schema}` stands for the quoted schema
 * name. Migration `i` moves `schema_version` from `i` to `i + 1`. Never
 * edit a released entry: append a new one.
 *
 * Why these shapes:
 * - `data` is one `jsonb` object per session (key → JSON text), so a patch
 *   is one `UPDATE … SET data = (data - unset) || set`: PostgreSQL applies
 *   it under the row lock to the latest version of the row, so concurrent
 *   patches of different keys never lose each other's writes.
 * - text columns are `COLLATE "C"`: ids are compared byte for byte, which is
 *   both what we mean and faster than a locale collation.
 * - links cascade from sessions, so deleting a session takes its links.
 * - expiry is indexed only for the bounded purge; reads check expiry in
 *   their WHERE clause and never scan.
 * - `counters` (migration 2) holds the fixed-window counters of the hub's
 *   sign-in limits: one row per key, changed by one upsert under its row lock.
 *
 * @example
 * ```ts
 * const latest = POSTGRES_MIGRATIONS.length
 * ```
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE {schema}.sessions (
    id        text COLLATE "C" PRIMARY KEY,
    sub       text COLLATE "C",
    "user"    text,
    data      jsonb NOT NULL DEFAULT '{}',
    created   bigint NOT NULL,
    last_seen bigint NOT NULL,
    idle_exp  bigint NOT NULL,
    abs_exp   bigint NOT NULL
  );
  CREATE INDEX sessions_sub ON {schema}.sessions (sub) WHERE sub IS NOT NULL;
  CREATE INDEX sessions_expires ON {schema}.sessions (least(idle_exp, abs_exp));

  CREATE TABLE {schema}.links (
    hash       text COLLATE "C" PRIMARY KEY,
    session_id text COLLATE "C" NOT NULL REFERENCES {schema}.sessions (id) ON DELETE CASCADE,
    site       text NOT NULL,
    via        text NOT NULL,
    created    bigint NOT NULL,
    expires    bigint NOT NULL
  );
  CREATE INDEX links_session_id ON {schema}.links (session_id);
  CREATE INDEX links_expires ON {schema}.links (expires);

  CREATE TABLE {schema}.nonces (
    nonce   text COLLATE "C" PRIMARY KEY,
    expires bigint NOT NULL
  );
  CREATE INDEX nonces_expires ON {schema}.nonces (expires);
  `,
  `
  CREATE TABLE {schema}.counters (
    key     text COLLATE "C" PRIMARY KEY,
    value   bigint NOT NULL,
    expires bigint NOT NULL
  );
  CREATE INDEX counters_expires ON {schema}.counters (expires);
  `,
]

/**
 * Brings the schema up to date, once per store, on first use. Safe when
 * several processes start at once: everything runs in one transaction that
 * first takes an advisory lock named after the schema, so the second
 * process waits, then finds the tables made and the version current.
 * A schema from a newer shared-session is refused rather than guessed at.
 *
 * @param quoted - the schema name, already validated and double-quoted
 *
 * @example
 * ```ts
 * await migrate(pool, '"shared_session"')
 * ```
 */
export async function migrate(pool: Pool, quoted: string): Promise<void> {
  const client = await pool.connect()
  let failed: unknown
  try {
    // Few round trips: DDL is slow enough on a busy server without waiting on the network too.
    const opened = (await client.query(`
      BEGIN;
      SELECT pg_advisory_xact_lock(hashtext('shared-session schema ' || ${literal(quoted)}));
      CREATE SCHEMA IF NOT EXISTS ${quoted};
      CREATE TABLE IF NOT EXISTS ${quoted}.schema_version (version integer NOT NULL);
      SELECT version FROM ${quoted}.schema_version;`)) as unknown as { rows: { version: number }[] }[]
    const versionRows = opened[opened.length - 1]!.rows
    const current = versionRows[0]?.version ?? 0
    const latest = POSTGRES_MIGRATIONS.length
    if (current > latest) {
      throw new SharedSessionError(
        'ERR_CONFIG_INVALID',
        `postgres store: schema ${quoted} has version ${current}, newer than this shared-session understands (${latest}); upgrade shared-session`,
        { detail: 'schema' },
      )
    }
    const steps = POSTGRES_MIGRATIONS.slice(current).map((step) => step.replaceAll('{schema}', quoted))
    if (current < latest) {
      steps.push(versionRows.length === 0 ? `INSERT INTO ${quoted}.schema_version (version) VALUES (${latest})` : `UPDATE ${quoted}.schema_version SET version = ${latest}`)
    }
    await client.query(`${steps.join(';\n')}${steps.length > 0 ? ';' : ''} COMMIT`)
  } catch (err) {
    failed = err
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  } finally {
    // A connection that failed mid-transaction is not trusted back into the pool.
    client.release(failed instanceof Error ? failed : undefined)
  }
}

/** A SQL string literal (the schema name is validated; this only doubles quotes for safety). */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}
