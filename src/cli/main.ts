#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { fail } from './fail.js'

// Each command is loaded when it runs, so `--help` and small commands start fast.
const demoCommand = async (o: Parameters<typeof import('./commands/demo.js').demoCommand>[0]) => (await import('./commands/demo.js')).demoCommand(o)
const initCommand = async (o: Parameters<typeof import('./commands/init.js').initCommand>[0]) => (await import('./commands/init.js')).initCommand(o)
const serveCommand = async (o: Parameters<typeof import('./commands/serve.js').serveCommand>[0]) => (await import('./commands/serve.js')).serveCommand(o)
const doctorCommand = async (o: Parameters<typeof import('./commands/doctor.js').doctorCommand>[0]) => (await import('./commands/doctor.js')).doctorCommand(o)
const usersCommand = async (...a: Parameters<typeof import('./commands/users.js').usersCommand>) => (await import('./commands/users.js')).usersCommand(...a)
const sessionsCommand = async (...a: Parameters<typeof import('./commands/sessions.js').sessionsCommand>) => (await import('./commands/sessions.js')).sessionsCommand(...a)
const sitesCommand = async (...a: Parameters<typeof import('./commands/sites.js').sitesCommand>) => (await import('./commands/sites.js')).sitesCommand(...a)
const configCommand = async (...a: Parameters<typeof import('./commands/config.js').configCommand>) => (await import('./commands/config.js')).configCommand(...a)
const keysCommand = async (...a: Parameters<typeof import('./commands/keys.js').keysCommand>) => (await import('./commands/keys.js')).keysCommand(...a)
const clientsCommand = async (...a: Parameters<typeof import('./commands/clients.js').clientsCommand>) => (await import('./commands/clients.js')).clientsCommand(...a)

const CONFIG = ['-c, --config <file>', 'configuration file', 'shared-session.json'] as const

const program = new Command('shared-session')
  .description('One login and one session shared by many web apps.')
  .showHelpAfterError('(run with --help for usage)')
  // src/cli/main.ts and dist/cli/main.js both sit two folders below package.json.
  .version((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version, '-V, --version')

program
  .command('demo')
  .description('run the four demo sites in one process on the embedded store (SQLite)')
  .option('--port-base <port>', 'hub port; forum, shop, shop-de use the next three', '4000')
  .option('--data-dir <dir>', 'where the SQLite files go', '.shared-session')
  .option('--memory', 'keep sessions in memory instead of SQLite')
  .option('--https', 'serve the sites over https with a self-signed certificate made at start (Secure, __Host- cookies as in production)')
  .action(demoCommand)

program
  .command('init')
  .description('write a configuration file with fresh keys and secure defaults')
  .option(...CONFIG)
  .option('--origin <url>', "the hub's public origin", 'http://auth.localhost:4000')
  .option('--parent-domain <domain>', 'parent domain for the token cookie of subdomain members (e.g. acme.com)')
  .option('--data-dir <dir>', 'where the SQLite files go', '.shared-session')
  .option('--store <url>', 'session store: sqlite:<path> (default, in --data-dir), redis://[user:pass@]host:port[/db], rediss://… (TLS), redis-cluster://…, postgres://…')
  .option('--store-prefix <prefix>', 'key prefix in a shared Redis (default ss:)')
  .option('--force', 'replace an existing file (its keys are lost)')
  .action(initCommand)

program
  .command('serve')
  .description('run the hub from a configuration file (env: SHARED_SESSION_SECRET, SHARED_SESSION_STORE, SHARED_SESSION_PORT)')
  .option(...CONFIG)
  .option('-p, --port <port>', 'port to listen on (default: from the file)')
  .option('--host <host>', 'interface to listen on (default: from the file)')
  .option('--tls-cert <file>', 'serve https with this PEM certificate (chain); needs --tls-key')
  .option('--tls-key <file>', 'the PEM private key of --tls-cert')
  .action(serveCommand)

const users = program.command('users').description("manage the hub's users (passwords from a hidden prompt or stdin)")
for (const action of ['add', 'list', 'remove', 'passwd'] as const) {
  const cmd = users.command(action === 'list' ? 'list' : `${action} <username>`).option(...CONFIG)
  if (action === 'add') cmd.option('--email <email>', 'e-mail address').option('--name <name>', 'display name')
  cmd.description({ add: 'add a user', list: 'list users', remove: 'remove a user', passwd: "change a user's password" }[action])
  cmd.action((a: string | Record<string, string>, b?: Record<string, string>) => usersCommand(action, typeof a === 'string' ? a : undefined, (typeof a === 'string' ? b : a) as { config: string }))
}

const sessions = program.command('sessions').description("see or end a user's sessions")
sessions.command('list <username>').description('list live sessions').option(...CONFIG).action((u: string, o: { config: string }) => sessionsCommand('list', u, o))
sessions.command('revoke <username>').description('end every session of the user (log out everywhere)').option(...CONFIG).action((u: string, o: { config: string }) => sessionsCommand('revoke', u, o))

const sites = program.command('sites').description('add, list or remove the sites of the deployment')
sites
  .command('add <name> <origin>')
  .description('add a site (a member by default; --no-member for an app that only reads the token)')
  .option(...CONFIG)
  .option('--member', 'the site runs the member middleware (default)')
  .option('--no-member', 'the site only verifies the token (Flask, an app behind forward-auth)')
  .option('--kind <kind>', 'what you mean it to be: subdomain or cross-site (doctor checks it)')
  .option('--backchannel-logout-uri <url>', 'a token-only site: where the hub posts a logout token when a session ends')
  .action((name: string, origin: string, o: { config: string; member?: boolean; kind?: string; backchannelLogoutUri?: string }) => sitesCommand('add', { ...o, name, origin }))
sites.command('list').description('list the sites').option(...CONFIG).action((o: { config: string }) => sitesCommand('list', o))
sites.command('remove <name>').description('remove a site').option(...CONFIG).action((name: string, o: { config: string }) => sitesCommand('remove', { ...o, name }))

const config = program.command('config').description('hand out configuration')
config
  .command('member <site>')
  .description("print the configuration one member needs (no master secret, no private signing key)")
  .option(...CONFIG)
  .option('-o, --out <file>', 'write it to a file (mode 600) instead of stdout')
  .action((site: string, o: { config: string; out?: string }) => configCommand('member', site, o))

const collect = (value: string, previous: string[] = []) => [...previous, value]
const clients = program.command('clients').description('register the apps that sign in with the hub over OpenID Connect')
clients
  .command('add <id>')
  .description('register an app (a confidential one gets a secret, printed once)')
  .option(...CONFIG)
  .requiredOption('--redirect-uri <url>', 'exact redirect URI (repeat for several)', collect)
  .option('--post-logout-redirect-uri <url>', 'where the app may send the browser after sign-out (repeat; default: the origin of each redirect URI)', collect)
  .option('--backchannel-logout-uri <url>', 'where the hub posts back-channel logout tokens')
  .option('--public', 'a public client (single-page or native app): no secret, PKCE only')
  .action((id: string, o: { config: string; redirectUri: string[]; postLogoutRedirectUri?: string[]; backchannelLogoutUri?: string; public?: boolean }) => clientsCommand('add', id, o))
clients.command('list').description('list registered apps (never secrets)').option(...CONFIG).action((o: { config: string }) => clientsCommand('list', undefined, o))
clients.command('remove <id>').description('unregister an app').option(...CONFIG).action((id: string, o: { config: string }) => clientsCommand('remove', id, o))

const keys = program.command('keys').description('list or rotate keys')
keys.command('list').description('show key ids and algorithms (never secrets)').option(...CONFIG).action((o: { config: string }) => keysCommand('list', o))
keys
  .command('rotate')
  .description('add a new signing key (old ones keep verifying), or --secret to replace the master secret; running hubs reload, no restart')
  .option(...CONFIG)
  .option('--secret', 'rotate the master secret instead')
  .option('--alg <alg>', 'EdDSA, ES256 or HS256')
  .option('--keep <n>', 'signing keys to keep, newest first', '3')
  .option('--overlap <seconds>', 'publish the new key now, use it after this long (0: at once)', '120')
  .action((o: { config: string; secret?: boolean; alg?: string; keep?: string; overlap?: string }) => keysCommand('rotate', o))

program
  .command('doctor')
  .description('explain every setting that would make a browser drop a cookie or break sharing, all in one run')
  .option(...CONFIG)
  .option('--probe', 'also ask the hub and every member site over HTTP whether they run what the file says')
  .option('--member <files...>', "compare members' configuration files (from `config member`) with this one")
  .action(doctorCommand)

program.parseAsync().catch(fail)
