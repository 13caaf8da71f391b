import { escapeHtml } from '../../lib/html.js'

const STYLE = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f4f5f7;color:#1d2330;
  font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:min(24rem,92vw);background:#fff;border-radius:12px;padding:2rem 2rem 1.5rem;
  box-shadow:0 1px 2px rgba(0,0,0,.06),0 8px 24px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 .25rem}
p.sub{margin:0 0 1.5rem;color:#5b6475;font-size:.95rem}
label{display:block;font-weight:600;font-size:.9rem;margin:1rem 0 .3rem}
input{width:100%;padding:.65rem .75rem;border:1px solid #c9ceda;border-radius:8px;font:inherit}
input:focus{outline:2px solid #3d6df2;outline-offset:1px;border-color:#3d6df2}
button{width:100%;margin-top:1.5rem;padding:.7rem;border:0;border-radius:8px;background:#3d6df2;color:#fff;
  font:inherit;font-weight:600;cursor:pointer}
button.secondary{background:#eef1f7;color:#1d2330;margin-top:.75rem}
.error{background:#fdecec;color:#9b1c1c;border-radius:8px;padding:.6rem .8rem;margin:0 0 1rem;font-size:.95rem}
.who{background:#eef6ee;border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem}
footer{margin-top:1.25rem;color:#8a92a3;font-size:.8rem;text-align:center}
main.wide{width:min(46rem,94vw)}
`

/**
 * The hub's page frame: one centered card, no scripts, no external assets.
 * A page with a list asks for a `wide` card and may add its own `style`.
 *
 * @example
 * ```ts
 * return html(layout('Sign in', '<form>…</form>'))
 * ```
 */
export function layout(title: string, body: string, options: { wide?: boolean; style?: string } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}${options.style ?? ''}</style></head>
<body><main${options.wide ? ' class="wide"' : ''}>${body}<footer>shared-session</footer></main></body></html>`
}
