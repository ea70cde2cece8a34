import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveLimits, utf8, type FormatInfo } from '@tanba/core'
import { VIDEO_FORMATS } from '../src/formats.js'
import { parseMp4 } from '../src/mp4/parse.js'
import { chunks } from '../src/mp4/tracks.js'
import { bytesSource } from '../src/source.js'

export const ROOT = new URL('../../..', import.meta.url).pathname
export const CORPUS = process.env.TANBA_CORPUS ?? join(ROOT, '../shared/corpus')
export const limits = resolveLimits()
export const format = (id: string): FormatInfo => VIDEO_FORMATS.find((f) => f.id === id)!
export const fixture = (name: string) => new Uint8Array(readFileSync(join(ROOT, 'fixtures/video', name)))
export const corpus = (path: string) => new Uint8Array(readFileSync(join(CORPUS, path)))

export function hasTool(name: string): boolean {
  const ok = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0
  // eslint-disable-next-line no-console
  if (!ok) console.warn(`SKIPPED: ${name} is not installed (CI installs it)`)
  return ok
}

export const HAS_FFMPEG = hasTool('ffmpeg') && hasTool('ffprobe')
export const HAS_EXIFTOOL = hasTool('exiftool')

let dir: string | undefined
export function workDir(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'tanba-video-'))
  return dir
}

/** Runs ffmpeg (Debian's, as a third-party tool) on files in the work directory; throws with its stderr on failure. */
export function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { cwd: workDir(), stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Writes bytes into the work directory, runs ffmpeg on them, and returns the output file. */
export function throughFfmpeg(input: Uint8Array, ext: string, args: string[], outExt = ext): Uint8Array {
  const name = `in-${Math.random().toString(36).slice(2)}.${ext}`
  const out = `out-${Math.random().toString(36).slice(2)}.${outExt}`
  writeFileSync(join(workDir(), name), input)
  ffmpeg('-i', name, ...args, out)
  return new Uint8Array(readFileSync(join(workDir(), out)))
}

/** A short clip made by ffmpeg from its test sources: 2 s, 30 fps, B-frames, GOP of 30, with a sine tone. */
export function makeClip(name: string, video: string[], audio: string[], extra: string[] = []): Uint8Array {
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2', ...video, ...audio, ...extra, name)
  return new Uint8Array(readFileSync(join(workDir(), name)))
}

export const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-bf', '2', '-pix_fmt', 'yuv420p']
export const HEVC = ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p']
export const AAC = ['-c:a', 'aac', '-b:a', '64k']
export const OPUS = ['-c:a', 'libopus', '-b:a', '48k']

export function ffprobeJson(bytes: Uint8Array, ext = 'mp4'): { format: { tags?: Record<string, string> }; streams: unknown[] } {
  const name = `probe-${Math.random().toString(36).slice(2)}.${ext}`
  writeFileSync(join(workDir(), name), bytes)
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', name], { cwd: workDir(), encoding: 'utf8' }))
}

/** Decodes every stream with ffmpeg; returns its error output (empty when clean). */
export function decodeErrors(bytes: Uint8Array, ext = 'mp4'): string {
  const name = `decode-${Math.random().toString(36).slice(2)}.${ext}`
  writeFileSync(join(workDir(), name), bytes)
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', name, '-f', 'null', '-'], { cwd: workDir(), encoding: 'utf8' })
  return r.status === 0 ? r.stderr : `exit ${r.status}: ${r.stderr}`
}

/** The file offset of sample `n` of the first track with `handler`. */
export function sampleOffset(bytes: Uint8Array, handler: string, n: number): { offset: number; size: number } {
  const asset = parseMp4(bytesSource(bytes), limits)
  const t = asset.tracks.find((x) => x.handler === handler)!
  for (const c of chunks(t.tables, bytes.length, t.index)) {
    if (n < c.firstSample + c.samples) {
      let o = c.offset
      for (let s = c.firstSample; s < n; s++) o += t.tables.fixedSize || t.tables.sizes!.getUint32(12 + s * 4)
      return { offset: o, size: t.tables.fixedSize || t.tables.sizes!.getUint32(12 + n * 4) }
    }
  }
  throw new Error(`no sample ${n}`)
}

/** Flips one bit in the middle of a coded video frame, as an attacker would. */
export function tamperEssence(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice()
  const { offset, size } = sampleOffset(out, 'vide', 5)
  out[offset + Math.floor(size / 2)]! ^= 0x01
  return out
}

/** Changes the encoder tag in place (same length): an unrelated metadata edit. */
export function benignEdit(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice()
  const at = indexOf(out, utf8('Lavf'))
  if (at < 0) throw new Error('no encoder tag')
  out[at] = 'X'.charCodeAt(0)
  return out
}

export function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer
    return i
  }
  return -1
}
