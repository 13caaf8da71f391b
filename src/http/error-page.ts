import { escapeHtml } from '../lib/html.js'
import type { RequestHead } from './request-head.js'

/**
 * True when a person's browser asked for a page (a top-level navigation),
 * so an error should be an HTML page, not JSON: `Sec-Fetch-Mode: navigate`,
 * or, from a browser that sends no fetch metadata, `Accept: text/html`. A
 * script, an image, `fetch()` or an API client gets JSON.
 *
 * @example
 * ```ts
 * if (wantsPage(request)) return errorPage(err, request)
 * ```
 */
export function wantsPage(request: RequestHead): boolean {
  const mode = request.headers.get('sec-fetch-mode')
  if (mode !== null) return mode === 'navigate'
  return (request.headers.get('accept') ?? '').includes('text/html')
}

/**
 * What an error page needs of an error: its stable code, HTTP status and message.
 *
 * @example
 * ```ts
 * const internal: ErrorSummary = { code: 'ERR_INTERNAL', status: 500, message: 'internal error' }
 * ```
 */
export interface ErrorSummary {
  code: string
  status: number
  message: string
}

interface Explanation {
  title: string
  what: string
  next: string
  /** Whether going on again is likely to work (a fresh handoff), so the link says "try again". */
  retry: boolean
}

const OPERATOR = "If this keeps happening, tell the site's operator; the code below tells them what to fix."

/** What each error means to a visitor. Codes not listed show their own message. */
function explain(err: ErrorSummary): Explanation {
  switch (err.code) {
    case 'ERR_PAYLOAD_KEY_UNKNOWN':
      return {
        title: 'Your session could not be carried over',
        what: 'This site and the sign-in service do not share the same keys, so this site could not read the session handed to it. Your account and your session are safe.',
        next: `You can go on to this site without the shared session. ${OPERATOR} (Operators: this member's handoff keys differ from the hub's; regenerate its configuration with \`shared-session config member\` or run \`shared-session doctor\`.)`,
        retry: false,
      }
    case 'ERR_PAYLOAD_EXPIRED':
    case 'ERR_PAYLOAD_FROM_FUTURE':
    case 'ERR_PAYLOAD_LIFETIME':
      return { title: 'The link took too long', what: 'The link that carries your session is valid for a few seconds only, and this one is out of date (or the clocks of the servers disagree).', next: 'Try again: a fresh link is made each time.', retry: true }
    case 'ERR_PAYLOAD_REPLAYED':
      return { title: 'This link was already used', what: 'The link that carries your session works once; this one was used already, perhaps by reloading the page or going back.', next: 'Go on to the page: a fresh link is made if one is needed.', retry: true }
    case 'ERR_PAYLOAD_BINDING':
      return { title: 'This link belongs to another window', what: 'The link that carries your session was made for another browser or window, so it was not used here.', next: 'Go on to the page from this window.', retry: true }
    case 'ERR_RETURN_URL':
      return { title: 'Unknown address to return to', what: 'The address you were to be sent back to is not one of the sites of this sign-in service, so you were not sent there.', next: `Go on to this site's home page. ${OPERATOR}`, retry: false }
    case 'ERR_STORE_UNAVAILABLE':
      return { title: 'Sessions are unavailable for a moment', what: 'The session store is not answering right now. Nothing was changed.', next: 'Try again in a few seconds.', retry: true }
    default:
      return err.status >= 500
        ? { title: 'Something went wrong', what: 'The server could not finish this request.', next: `Try again in a moment. ${OPERATOR}`, retry: true }
        : { title: 'This request could not be completed', what: err.message, next: `Go on to this site's home page. ${OPERATOR}`, retry: false }
  }
}

/**
 * The HTML body of the page a person sees when a navigation meets an
 * error: what happened in plain words, how to go on (a link to the page
 * they wanted when the URL names a path on this site, else the home
 * page), and the stable code for the operator. Never the internals of a
 * 500, never a link off this site.
 *
 * @example
 * ```ts
 * return html(errorPageHtml(err, request), err.status, PRIVATE_HEADERS)
 * ```
 */
export function errorPageHtml(err: ErrorSummary, request: RequestHead): string {
  const { title, what, next, retry } = explain(err)
  const target = localReturnPath(request.url)
  const label = target === '/' ? (retry ? 'Try again from the home page' : 'Go to the home page') : retry ? 'Try again' : 'Go on to the page you wanted'
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.5rem}a.next{display:inline-block;margin-top:1rem;padding:.5rem 1rem;background:#234;color:#fff;border-radius:4px;text-decoration:none}code{color:#666}</style>
</head><body>
<h1 data-testid="error-title">${escapeHtml(title)}</h1>
<p data-testid="error-what">${escapeHtml(what)}</p>
<p data-testid="error-next">${escapeHtml(next)}</p>
<p><a class="next" data-testid="error-continue" href="${escapeHtml(target)}">${escapeHtml(label)}</a></p>
<p><code data-testid="error-code">${escapeHtml(err.code)}</code></p>
</body></html>`
}

/** The `return` path of the failed URL when it is a plain path on this site; otherwise `/`. Never another origin. */
function localReturnPath(url: string): string {
  let value: string | null = null
  try {
    value = new URL(url).searchParams.get('return')
  } catch {
    return '/'
  }
  if (!value) return '/'
  try {
    const base = new URL(url)
    const target = new URL(value, base)
    if (target.origin !== base.origin || !/^\/(?![/\\])/.test(value.startsWith('http') ? target.pathname : value)) return '/'
    return target.pathname + target.search
  } catch {
    return '/'
  }
}
