// Spawns the real, built `tanba` command on real files.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'

export const ROOT = new URL('../../../', import.meta.url).pathname
export const BIN = join(ROOT, 'packages/cli/dist/bin.js')

/** Builds the packages once when a dist is missing (the root `pnpm test` builds before running). */
export function ensureBuilt(): void {
  const needed = ['packages/cli/dist/bin.js', 'packages/tanba/dist/node.js', 'packages/tanba/dist/worker.js', 'packages/core/dist/node.js', 'packages/queue/dist/index.js']
  if (needed.every((p) => existsSync(join(ROOT, p)))) return
  const r = spawnSync('pnpm', ['-r', '--filter', './packages/**', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('pnpm build failed')
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd: string
  env?: Record<string, string | undefined>
  configDir: string
  timeoutMs?: number
}

function childEnv(options: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TANBA_CONFIG_DIR: options.configDir }
  delete env.FORCE_COLOR
  delete env.NO_COLOR
  return { ...env, ...options.env }
}

/** Runs `tanba args...` to completion. */
export function tanba(args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: childEnv(options), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/** Starts `tanba args...` without waiting (for kill tests); `closed` settles when it has exited. */
export function start(args: string[], options: RunOptions): { child: ChildProcess; closed: Promise<void> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: childEnv(options), stdio: ['ignore', 'ignore', 'ignore'] })
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  return { child, closed }
}

export function tempDir(prefix = 'tanba-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** Every file under a folder (relative paths), hidden ones included; files renamed away meanwhile are left out. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f), { throwIfNoEntry: false })?.isFile()).sort()
}

/** SHA-256 of every file under a folder (safe to call while a batch renames files into place). */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of listFiles(dir)) {
    try {
      out[f] = sha256File(join(dir, f))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  return out
}

/** The ANSI colour escape (SGR), as picocolors writes it. */
export const SGR = /\x1b\[\d+(;\d+)*m/
