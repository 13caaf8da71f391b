// A second process for the SQLite concurrency test: its own connection to the
// same file, patching its own keys of one session as fast as it can.
import { createSqliteStore } from '../../src/stores/sqlite/index.js'

const [path, sessionId, keyPrefix, times] = process.argv.slice(2) as [string, string, string, string]
const store = createSqliteStore({ path, busyTimeoutMs: 10_000 })

process.send!('ready')
process.once('message', async () => {
  let failed = 0
  for (let i = 0; i < Number(times); i++) {
    if (!(await store.patchSession(sessionId, { set: { [`${keyPrefix}${i}`]: String(i) }, unset: [] }))) failed++
  }
  await store.close()
  process.send!({ failed }, () => process.exit(0))
})
