import { createInterface } from 'node:readline'

/**
 * Read a password: from a prompt with the echo hidden when stdin is a
 * terminal, else the first line of stdin (`echo "$PW" | shared-session users add alice`).
 * Never from the command line, where it would land in shell history and `ps`.
 *
 * @example
 * ```ts
 * const password = await readPassword('Password for alice: ')
 * ```
 */
export async function readPassword(prompt: string): Promise<string> {
  const input = process.stdin
  if (!input.isTTY) {
    const rl = createInterface({ input })
    for await (const line of rl) {
      rl.close()
      return line
    }
    return ''
  }
  process.stdout.write(prompt)
  const rl = createInterface({ input, output: process.stdout, terminal: true })
  // Hide what is typed: write nothing back while the prompt is open.
  ;(rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined
  const answer = await new Promise<string>((resolve) => rl.question('', resolve))
  rl.close()
  process.stdout.write('\n')
  return answer
}
