// Native code and hostile input.
// - The C2PA addon runs in a child process (@tanba/c2pa): its panics on the adversarial corpus, and a
//   worker killed by SIGSEGV or SIGKILL in the middle of a read, fail that one read as a report
//   message; this process goes on, and the next read starts a fresh worker.
// - sharp (libvips) runs in-process, so Tanba keeps hostile input away from it: verification never
//   loads libvips at all, and stamping checks the declared size against limits.maxPixels and
//   limits.maxInputBytes before anything decodes (sharp also gets limitInputPixels and failOn).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { childProcesses, createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { close, inspect, stamp, verify, type VerificationReport } from 'tanba/node'
import { CORPUS, hardeningRegistry, inputFiles, OUT, readBytes, ROOT, TEST_TIMEOUT } from './helpers.js'
import { applyMutation, flipSets, hugeSvg, readUint, sizeFields, writeUint } from './mutate.js'

const registry = hardeningRegistry()
const adversarial = readdirSync(join(CORPUS, 'adversarial')).map((f) => join(CORPUS, 'adversarial', f))
const PANIC_MP3 = join(CORPUS, 'adversarial/id3v23_compression_underflow.mp3')
const C2PA_JPEG = join(CORPUS, 'third-party-labelled/C.jpg')
const C2PA_PDF = join(CORPUS, 'third-party-labelled/express-signed.pdf')

let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})
afterAll(() => close())

const c2paWorkers = () => childProcesses((cmdline) => cmdline.includes('c2pa'))


/**
 * The adversarial MP3's underflowing ID3 frame, followed by a GEOB frame that declares a C2PA manifest
 * store. Tanba hands a file to the native reader only when its own parser finds a manifest store, so
 * the corpus file alone never reaches the addon; this one does, and makes it panic.
 */
function panickingWithManifest(): Uint8Array {
  const enc = new TextEncoder()
  const bad = readBytes(PANIC_MP3)
  const tit2 = bad.subarray(10, 23) // the 10-byte header and 3-byte body of the underflowing frame
  const body = Uint8Array.from([0, ...enc.encode('application/c2pa'), 0, ...enc.encode('c2pa'), 0, 0, ...new Uint8Array(64)])
  const geob = new Uint8Array(10 + body.length)
  geob.set(enc.encode('GEOB'))
  new DataView(geob.buffer).setUint32(4, body.length)
  geob.set(body, 10)
  const size = tit2.length + geob.length
  const header = Uint8Array.of(0x49, 0x44, 0x33, 3, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f)
  const rest = bad.subarray(24)
  const out = new Uint8Array(header.length + size + rest.length)
  out.set(header)
  out.set(tit2, 10)
  out.set(geob, 10 + tit2.length)
  out.set(rest, 10 + size)
  return out
}

const c2paRead = (r: VerificationReport) => r.markers.find((m) => m.standard === 'c2pa' && m.value && typeof m.value === 'object')
const c2paFailure = (r: VerificationReport) => r.messages.find((m) => m.rule === 'c2pa.failed' || /C2PA reader failed|native addon|process ended/i.test(m.reason))

describe('the C2PA addon cannot take the process down', () => {
  it('the adversarial MP3 never reaches it: it declares no manifest store', async () => {
    const report = await verify(readBytes(PANIC_MP3), { registry, filename: basename(PANIC_MP3) })
    expect(report.status).toBe('unlabelled')
    expect(c2paFailure(report)).toBeUndefined()
  })

  it('its panic on the underflowing ID3 frame (in a file declaring a manifest) becomes a report message, through verify, inspect and stamp', async () => {
    const input = panickingWithManifest()
    const report = await verify(input, { registry, filename: basename(PANIC_MP3) })
    expect(report.status).toBe('unlabelled')
    expect(c2paFailure(report)?.reason).toMatch(/panicked/)
    const found = await inspect(input, { registry, filename: basename(PANIC_MP3) })
    expect(found.messages.some((m) => /C2PA/.test(m.reason))).toBe(true)
    const stamped = await stamp(input, { registry, filename: basename(PANIC_MP3), signer: creds.signer, system: { name: 'Native' }, owner: { name: 'Tanba Hardening LLP' }, notice: { visible: false } }).then(
      (r) => r,
      (e: unknown) => e,
    )
    // Either the manifest could not be embedded (a message) or a typed error: never a crash.
    if (stamped instanceof Error) expect((stamped as { code?: string }).code).toMatch(/^TANBA_/)
    else expect((await verify((stamped as { bytes: Uint8Array }).bytes, { registry, filename: 'x.mp3', trust: creds.trust, c2pa: false })).status).toBe('valid')
    // The next C2PA read runs in a fresh worker and works.
    expect(c2paRead(await verify(readBytes(C2PA_JPEG), { registry, filename: 'C.jpg' }))).toBeDefined()
  }, TEST_TIMEOUT)

  it('every adversarial file, and 40 mutations of each, through verify with C2PA on: reports, never a crash', async () => {
    let failures = 0
    for (const [path, original] of [...adversarial.map((p) => [p, readBytes(p)] as const), [PANIC_MP3, panickingWithManifest()] as const]) {
      const variants = [original, ...flipSets(original.length, 40, 77).map((bits) => applyMutation(original, { kind: 'flip', bits }))]
      for (const bytes of variants) {
        const r = await verify(bytes, { registry, filename: basename(path) })
        expect(['valid', 'invalid', 'unlabelled', 'error']).toContain(r.status)
        if (r.status === 'error') expect(r.error!.code).toMatch(/^TANBA_(?!INTERNAL)/)
        if (c2paFailure(r)) failures++
      }
    }
    // The panicking MP3 (with its manifest declared) and several of its mutants really did fail inside the addon.
    expect(failures).toBeGreaterThan(0)
    expect(c2paRead(await verify(readBytes(C2PA_JPEG), { registry, filename: 'C.jpg' }))).toBeDefined()
  }, TEST_TIMEOUT)

  // Finding the worker's process id reads /proc (Linux).
  it.skipIf(process.platform !== 'linux')('a worker killed by SIGSEGV while idle, or by SIGSEGV/SIGKILL in the middle of a read, fails only that read', async () => {
    const jpeg = readBytes(C2PA_JPEG)
    const pdf = readBytes(C2PA_PDF)
    expect(c2paRead(await verify(jpeg, { registry, filename: 'C.jpg' }))).toBeDefined()
    // Idle worker dies (as a segfault would): the next read notices and starts a new one.
    for (const pid of c2paWorkers()) process.kill(pid, 'SIGSEGV')
    await new Promise((r) => setTimeout(r, 100))
    expect(c2paRead(await verify(jpeg, { registry, filename: 'C.jpg' }))).toBeDefined()
    // Killed mid-read: poll for the busy worker and kill it as soon as the read is under way.
    let interrupted = 0
    for (const signal of ['SIGSEGV', 'SIGKILL', 'SIGSEGV', 'SIGKILL', 'SIGABRT'] as const) {
      const pending = verify(pdf, { registry, filename: 'express-signed.pdf' })
      const killer = setInterval(() => {
        for (const pid of c2paWorkers()) process.kill(pid, signal)
      }, 2)
      const report = await pending
      clearInterval(killer)
      expect(['unlabelled', 'invalid', 'valid']).toContain(report.status)
      const failure = c2paFailure(report)
      if (failure) {
        interrupted++
        expect(failure.reason).toMatch(/ended unexpectedly|signal|panicked|crash/i)
      }
    }
    expect(interrupted).toBeGreaterThan(0)
    // Still alive, and C2PA still works.
    expect(c2paRead(await verify(jpeg, { registry, filename: 'C.jpg' }))).toBeDefined()
  }, TEST_TIMEOUT)
})

// --- sharp / libvips -----------------------------------------------------------------------------

function probe(job: { op: 'verify' | 'stamp-visible'; files: Array<{ name: string; path?: string; bytes?: number[] }> }): { results: Array<{ name: string; outcome: string; ms: number; cpuMs: number }>; libvips: boolean; c2paAddon: boolean } {
  const script = fileURLToPath(new URL('./native-probe.ts', import.meta.url))
  mkdirSync(OUT, { recursive: true })
  const jobFile = join(OUT, `native-job-${process.pid}.json`)
  writeFileSync(jobFile, JSON.stringify(job))
  const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', script, jobFile], {
    cwd: join(ROOT, 'packages/tanba'),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 ** 2,
    timeout: 600_000, // a hang guard
    env: { ...process.env, TANBA_CONFIG_DIR: join(ROOT, 'out/hardening/config') },
  })
  if (r.status !== 0) throw new Error(`probe failed (${r.status} ${r.signal}): ${r.stderr}`)
  return JSON.parse(r.stdout)
}

/** Each image sample with every declared dimension set to its largest value (a decompression bomb). */
function bombs(): Array<{ name: string; bytes: number[] }> {
  const out: Array<{ name: string; bytes: number[] }> = []
  for (const [name, id] of [
    ['photo.jpg', 'jpeg'],
    ['photo.png', 'png'],
    ['multipage.tif', 'tiff'],
    ['photo.avif', 'avif'],
    ['animated.gif', 'gif'],
  ] as const) {
    const original = readBytes(join(ROOT, 'fixtures/image', name))
    let m: Uint8Array = original.slice()
    for (const f of sizeFields(original, id).filter((x) => /width|height|dimension/i.test(x.field))) {
      const top = f.width === 4 ? 0x7fffffff : f.width === 2 ? 0xffff : 0xff
      m = applyMutation(m, { kind: 'size', at: f.at, width: f.width, le: f.le, value: id === 'png' || id === 'avif' ? 100_000 : top, field: f.field, ...(f.fix ? { fix: f.fix } : {}) })
    }
    expect(m, `${name}: no dimension field found`).not.toEqual(original)
    out.push({ name: `bomb-${name}`, bytes: Array.from(m) })
  }
  // WebP: the VP8X canvas (24-bit width-1/height-1 fields) at its maximum.
  const webp = readBytes(join(ROOT, 'fixtures/image/animated.webp')).slice()
  expect(String.fromCharCode(...webp.subarray(12, 16))).toBe('VP8X')
  writeUint(webp, 24, 3, true, 0xffffff)
  writeUint(webp, 27, 3, true, 0xffffff)
  out.push({ name: 'bomb-animated.webp', bytes: Array.from(webp) })
  out.push({ name: 'bomb.svg', bytes: Array.from(hugeSvg(1_000_000)) })
  expect(readUint(webp, 24, 3, true)).toBe(0xffffff)
  return out
}

describe('sharp (libvips) is kept away from hostile input', () => {
  it('verifying every image of the corpus and the fixtures (and their mutations) never loads libvips or the C2PA addon', () => {
    const images = inputFiles().filter((f) => /\.(jpe?g|png|webp|gif|tiff?|avif|heic|svg)$/i.test(f.path))
    expect(images.length).toBeGreaterThan(20)
    const files = [
      ...images.map((f) => ({ name: basename(f.path), path: f.path })),
      ...images.slice(0, 12).flatMap((f) => flipSets(f.size, 3, 5).map((bits, i) => ({ name: basename(f.path), bytes: Array.from(applyMutation(readBytes(f.path), { kind: 'flip', bits })), i }))),
    ]
    const r = probe({ op: 'verify', files })
    expect(r.results.filter((x) => x.outcome.startsWith('untyped'))).toEqual([])
    expect(r.libvips).toBe(false)
    expect(r.c2paAddon).toBe(false)
  }, TEST_TIMEOUT)

  it('decompression bombs in every image format are refused from their headers, before libvips is even loaded', () => {
    const r = probe({ op: 'stamp-visible', files: bombs() })
    for (const x of r.results) {
      expect(x.outcome, x.name).toBe('error:TANBA_TOO_LARGE')
      expect(x.cpuMs, x.name).toBeLessThan(1000)
    }
    expect(r.libvips).toBe(false)
  }, TEST_TIMEOUT)

  it('a stamp that does decode loads libvips in this process (so the stance above is what protects it)', () => {
    const r = probe({ op: 'stamp-visible', files: [{ name: 'photo.png', path: join(ROOT, 'fixtures/image/photo.png') }] })
    expect(r.results[0]!.outcome).toBe('stamped')
    expect(r.libvips).toBe(true)
  }, TEST_TIMEOUT)
})
