// Finds Debian's Chromium, installing it with apt-get when it is missing (CI machines start
// without it). Returns null, after saying so loudly, only when it cannot be installed.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export const CHROMIUM = '/usr/bin/chromium'

/** The flags the tests start Chromium with: headless, no sandbox (root in CI), nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export function ensureChromium(): string | null {
  if (existsSync(CHROMIUM)) return CHROMIUM
  const loud = (why: string) => {
    const line = '!'.repeat(78)
    console.warn(`\n${line}\n!! SKIPPING the verify-web browser tests: Debian's chromium is not installed\n!! and could not be installed (${why}).\n!! Install it with: apt-get install -y chromium\n${line}\n`)
  }
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
    loud('no apt-get on this machine')
    return null
  }
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const apt = (args: string[]) => execFileSync(asRoot ? 'apt-get' : 'sudo', asRoot ? args : ['-n', 'apt-get', ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15 * 60_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  try {
    console.warn('verify-web e2e: installing Debian chromium (apt-get install -y chromium)…')
    const started = Date.now()
    apt(['update', '-qq'])
    apt(['install', '-y', '-qq', 'chromium'])
    console.warn(`verify-web e2e: chromium installed in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  } catch (error) {
    loud(String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim().split('\n').slice(-2).join(' '))
    return null
  }
  return existsSync(CHROMIUM) ? CHROMIUM : (loud('apt-get finished but /usr/bin/chromium is missing'), null)
}
