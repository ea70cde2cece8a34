// A real redis-server (Debian's) for the queue and ledger tests, on a free port of 127.0.0.1, with
// append-only persistence fsynced on every write, so a restart loses nothing acknowledged.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

export const HAS_REDIS = spawnSync('redis-server', ['--version']).status === 0

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

/** redis-cli against the server on `port`, its output trimmed. */
export function redisCli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout?.trim() ?? ''
}

export class RedisServer {
  child: ChildProcess | undefined
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }
  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--protected-mode', 'yes'], { stdio: 'ignore' })
    for (let i = 0; i < 200; i++) {
      if (redisCli(this.port, 'ping') === 'PONG') return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error('redis-server did not start')
  }
  /** SIGTERM: Redis flushes the append-only file and exits, as on a restart by its supervisor. */
  async stop(): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  }
}
