import { fileURLToPath } from 'node:url'
import { startPythonApp, type FlaskApp } from './flask-app.js'

const PROJECT = fileURLToPath(new URL('../../examples/django/', import.meta.url))

// What `manage.py migrate && manage.py runserver --noreload` does, in one
// interpreter: Python and Django start once, not twice (the suite's time is mostly start-ups).
const SERVE = `
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blog.settings")
import django
from django.core.management import call_command
django.setup()
call_command("migrate", interactive=False, verbosity=0)
call_command("runserver", sys.argv[1], use_reloader=False)
`

/**
 * Start examples/django (migrate, then Django's runserver without the
 * reloader) with exactly `env` (plus PATH) on 127.0.0.1:`port`.
 */
export async function startDjangoApp(port: number, env: Record<string, string>): Promise<FlaskApp> {
  return startPythonApp(['-c', SERVE, `127.0.0.1:${port}`], port, env, { cwd: PROJECT })
}
