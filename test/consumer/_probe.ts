import { startTestHub, ALICE } from '../helpers/hub.js'
import { CookieJar, loginOverHttp } from '../helpers/http.js'
const hub = await startTestHub({ sites: [{ name: 'forum', origin: 'http://forum.acme.localhost:4001' }] })
const jar = new CookieJar()
const r = await loginOverHttp(hub, jar, ALICE)
console.log(r.status, r.headers.get('location'), r.headers.getSetCookie())
console.log(jar.cookies)
await hub.close()
