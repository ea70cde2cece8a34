// Terminal output: colours only on a terminal (never with NO_COLOR), a progress bar on stderr.
import { existsSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { createColors } from 'picocolors'
import { CONFIG_FILE, type BatchProgress } from 'tanba/node'

export interface Stream {
  write(chunk: string): boolean
  isTTY?: boolean
  columns?: number
}

export interface Io {
  stdout: Stream
  stderr: Stream
  env: Record<string, string | undefined>
  cwd: string
}

export type Colors = ReturnType<typeof createColors>

/** NO_COLOR (any non-empty value) wins; FORCE_COLOR forces; otherwise colour only on a terminal. */
export function colorsFor(stream: Stream, env: Io['env']): Colors {
  const enabled = env.NO_COLOR ? false : env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' ? true : Boolean(stream.isTTY) && env.TERM !== 'dumb'
  return createColors(enabled)
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  return `${m}:${String(Math.round(s % 60)).padStart(2, '0')} min`
}

function clock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`
}

/**
 * A one-line progress bar on a terminal: files done, rate, time left. Lines printed through
 * `log` appear above it. Does nothing when the stream is not a terminal.
 */
export class ProgressBar {
  readonly #stream: Stream
  readonly #c: Colors
  readonly #verb: string
  #last = 0
  #shown = false
  #progress: BatchProgress | undefined

  constructor(stream: Stream, colors: Colors, verb: string) {
    this.#stream = stream
    this.#c = colors
    this.#verb = verb
  }

  get active(): boolean {
    return Boolean(this.#stream.isTTY)
  }

  update(progress: BatchProgress): void {
    this.#progress = progress
    if (!this.active) return
    const now = Date.now()
    if (now - this.#last < 80 && progress.done < progress.total) return
    this.#last = now
    this.#draw()
  }

  /** Prints a line above the bar (to `out`, default the bar's own stream). */
  log(line: string, out: Stream = this.#stream): void {
    this.clear()
    out.write(line + '\n')
    if (this.#progress && this.active && this.#progress.done < this.#progress.total) this.#draw()
  }

  clear(): void {
    if (this.#shown) this.#stream.write('\r\x1b[2K')
    this.#shown = false
  }

  #draw(): void {
    const p = this.#progress!
    const c = this.#c
    const width = Math.max(10, Math.min(30, (this.#stream.columns ?? 80) - 60))
    const filled = p.total ? Math.round((p.done / p.total) * width) : 0
    const bar = c.cyan('█'.repeat(filled)) + c.dim('░'.repeat(width - filled))
    const eta = p.etaMs === null ? '' : `  ~${clock(p.etaMs)} left`
    const text = `${this.#verb} ${bar} ${p.done}/${p.total} files  ${p.rate.toFixed(1)}/s${eta}`
    this.#stream.write('\r\x1b[2K' + text)
    this.#shown = true
  }
}

// C0 and C1 controls (newlines, ESC), and the bidirectional overrides and isolates that reorder
// what a terminal shows: none of them may reach the terminal from a file name or a label.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/**
 * Makes text from outside (file names, label fields, messages quoting them) safe to print as part
 * of one line: controls and direction marks become visible escapes, so a file named
 * "a\nvalid     b.png  trusted" cannot print a fake verdict line.
 */
export function safe(text: string | undefined | null): string {
  if (!text) return ''
  return text.replace(UNPRINTABLE, (ch) => ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * The SDK options (an error's `details.option`) a command-line user sets with a flag: `sdk` is how
 * the SDK's messages write the setting, `cli` what to say instead. Options without an entry keep
 * the SDK wording; so do messages that already name the flag themselves (the C2PA ones).
 */
export const CLI_OPTIONS: Readonly<Record<string, { sdk: string; cli: string }>> = {
  'notice.visible': { sdk: 'notice: { visible: false }', cli: '--no-visible' },
  'notice.text': { sdk: 'notice.text', cli: '--notice <text>' },
  'adapterOptions.pdf.password': { sdk: 'pass it as adapterOptions.pdf.password', cli: 'pass a file holding it with --pdf-password-file' },
  'adapterOptions.image.watermark': { sdk: 'adapterOptions.image.watermark', cli: '--watermark' },
  'adapterOptions.image.iconImage': { sdk: 'adapterOptions.image.iconImage', cli: '--notice-icon FILE' },
}

/** A library message as a command-line user should read it: the SDK option it names becomes the flag. */
export function forCli(message: string, option: string | undefined): string {
  const entry = option === undefined ? undefined : CLI_OPTIONS[option]
  return entry ? message.replaceAll(entry.sdk, entry.cli) : message
}

/**
 * Says on stderr which config file the command will use, so a tanba.config.json left in the
 * working folder is never picked up silently. Nothing with --quiet.
 */
export function announceConfig(explicit: string | undefined, io: Io, quiet: boolean | undefined): void {
  if (quiet) return
  const path = explicit ? resolve(io.cwd, explicit) : join(io.cwd, CONFIG_FILE)
  if (!existsSync(path)) return
  const c = colorsFor(io.stderr, io.env)
  const shown = relative(io.cwd, path) || path
  io.stderr.write(`${c.dim('config:')} using ${safe(shown)}${explicit ? '' : ` (found in the working folder; --config <file> names another)`}\n`)
}
