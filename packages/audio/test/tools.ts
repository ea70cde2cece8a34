import { execFileSync, spawnSync } from 'node:child_process'

/** Whether a command-line tool is on PATH (tests that need one skip loudly without it). */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0
}

/** Runs a tool and returns its stdout; throws with its stderr on failure. */
export function tool(name: string, args: string[]): Buffer {
  return execFileSync(name, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 })
}

/** ffmpeg's complaints while decoding a whole file (empty when it decodes cleanly). */
export function ffmpegDecodes(path: string): string {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' })
  return `${r.stderr}${r.status === 0 ? '' : `exit ${r.status}`}`.trim()
}

/** What ffmpeg plays: the whole file decoded to 16-bit mono PCM at the stream's rate. */
export function pcmOf(path: string, extra: string[] = []): Buffer {
  return tool('ffmpeg', ['-nostdin', '-v', 'error', ...extra, '-i', path, '-ac', '1', '-f', 's16le', '-'])
}
