/**
 * The deployment configuration file, for hubs and members alike: read it
 * (with the environment overrides), open the store it names, and check it
 * like `shared-session doctor` does.
 *
 * @example
 * ```ts
 * import { readConfig, openStore } from 'shared-session/config'
 * const config = readConfig('shared-session.json', process.env)
 * const store = await openStore(config.store)
 * ```
 * @packageDocumentation
 */
export { ENV, newConfig, readConfig, writeConfig, type DeploymentConfig } from './config-file.js'
export { openStore } from './open-store.js'
export { diagnose, type Finding } from './doctor.js'
