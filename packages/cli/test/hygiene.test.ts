// Input and output hygiene of the command line: links inside --out-dir, names that hold
// control characters, JSON on failure, folders given to inspect, mistakes caught before work,
// and the small things a newcomer meets (bare "tanba", the config file note, "tanba formats").
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { ensureBuilt, ROOT, sha256File, tanba, tempDir, type RunResult } from './helpers.js'

const work = tempDir('tanba-cli-hygiene-')
const configDir = join(work, 'config')
const run = (args: string[], cwd = work): Promise<RunResult> => tanba(args, { cwd, configDir })

function write(path: string, content: string | Uint8Array): string {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, content)
  return path
}

beforeAll(() => {
  ensureBuilt()
  mkdirSync(configDir, { recursive: true })
}, 600_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('output paths', () => {
  it('never writes through a symbolic link to a folder planted inside --out-dir', async () => {
    const dir = join(work, 'links')
    write(join(dir, 'in/sub/story.txt'), 'A short story a model wrote.\n')
    write(join(dir, 'in/top.txt'), 'Another one.\n')
    const elsewhere = join(dir, 'elsewhere')
    mkdirSync(elsewhere, { recursive: true })
    mkdirSync(join(dir, 'out'), { recursive: true })
    symlinkSync(elsewhere, join(dir, 'out/sub'))
    const r = await run(['stamp', 'in', '--out-dir', 'out'], dir)
    expect(r.code).toBe(3)
    expect(r.stdout).toMatch(/symbolic link/)
    expect(readdirSync(elsewhere)).toEqual([])
    // The other file, whose path holds no link, is stamped as usual.
    expect(existsSync(join(dir, 'out/top.txt'))).toBe(true)
  })

  it('-o naming a folder is refused before any work, naming --out-dir', async () => {
    const dir = join(work, 'o-folder')
    write(join(dir, 'story.txt'), 'Text.\n')
    mkdirSync(join(dir, 'target'))
    const r = await run(['stamp', 'story.txt', '-o', 'target'], dir)
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/-o target names a folder.*--out-dir/)
    expect(readdirSync(join(dir, 'target'))).toEqual([])
  })

  it('-o naming the input itself names --in-place, not the SDK option', async () => {
    const dir = join(work, 'o-same')
    const input = write(join(dir, 'story.txt'), 'Text.\n')
    const before = sha256File(input)
    const r = await run(['stamp', 'story.txt', '-o', './story.txt'], dir)
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/--in-place/)
    expect(r.stderr).not.toMatch(/inPlace/)
    expect(sha256File(input)).toBe(before)
  })
})

describe('names from outside cannot forge output lines', () => {
  it('escapes newlines, escapes and direction overrides in file names (verify, stamp, inspect)', async () => {
    const dir = join(work, 'names')
    const forged = 'x\nvalid       forged.txt  text-plain\n            signer Acme · trusted\x1b[2K\u202Egnp.txt'
    write(join(dir, forged), 'Plain text nobody labelled.\n')
    const v = await run(['verify', dir])
    expect(v.code).toBe(1)
    expect(v.stdout.split('\n').filter((l) => /^valid/.test(l))).toEqual([])
    expect(v.stdout).not.toMatch(/\x1b|\u202E/)
    expect(v.stdout).toContain('x\\nvalid')
    expect(v.stdout).toContain('\\u202e')

    const s = await run(['stamp', dir, '--out-dir', join(work, 'names-out')])
    expect(s.code).toBe(0)
    expect(s.stdout).not.toMatch(/\x1b|\u202E/)
    expect(s.stdout.split('\n').some((l) => /^\s+signer/.test(l))).toBe(false)

    const i = await run(['inspect', join(dir, forged)])
    expect(i.code).toBe(0)
    expect(i.stdout.split('\n')[0]).toContain('x\\nvalid')
  })
})

describe('errors are clear and machine-readable', () => {
  it('stamp --json of one file that fails prints the JSON document with the error', async () => {
    const dir = join(work, 'json-fail')
    const bad = readFileSync(join(ROOT, 'fixtures/image/photo.png')).subarray(0, 200)
    write(join(dir, 'broken.png'), bad)
    const r = await run(['stamp', 'broken.png', '-o', 'out.png', '--json'], dir)
    expect(r.code).toBe(3)
    const doc = JSON.parse(r.stdout) as { results: Array<{ status: string; error: { code: string } }>; summary: { failed: number } }
    expect(doc.results).toHaveLength(1)
    expect(doc.results[0]!.status).toBe('error')
    expect(doc.results[0]!.error.code).toBe('TANBA_MALFORMED_INPUT')
    expect(doc.summary.failed).toBe(1)
    expect(existsSync(join(dir, 'out.png'))).toBe(false)
  })

  it('inspect of a folder says so, exit 3, no stack trace', async () => {
    const r = await run(['inspect', work])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/is a folder.*tanba verify/)
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/)
  })

  it('text named .png is called text, not a damaged PNG', async () => {
    const dir = join(work, 'misnamed')
    write(join(dir, 'notes.png'), 'This is a paragraph of plain text, not a picture.\n')
    const r = await run(['stamp', 'notes.png', '-o', 'out.png'], dir)
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/named as PNG but its content is not PNG: it looks like plain text/)
    expect(r.stderr).not.toMatch(/damaged or truncated/)
  })
})

describe('what a newcomer meets', () => {
  it('bare "tanba" prints help on stdout and exits 0', async () => {
    const r = await run([])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Usage: tanba/)
    expect(r.stdout).toMatch(/formats/)
  })

  it('says which config file it picked up from the working folder, unless --quiet', async () => {
    const dir = join(work, 'config-note')
    write(join(dir, 'story.txt'), 'Text.\n')
    write(join(dir, 'tanba.config.json'), JSON.stringify({ owner: { name: 'Acme LLP', id: '123456789012' }, system: { name: 'Acme Writer' } }))
    const loud = await run(['stamp', 'story.txt', '-o', 'a.txt'], dir)
    expect(loud.code).toBe(0)
    expect(loud.stderr).toMatch(/config: using tanba\.config\.json \(found in the working folder/)
    const quiet = await run(['stamp', 'story.txt', '-o', 'b.txt', '--quiet'], dir)
    expect(quiet.code).toBe(0)
    expect(quiet.stderr).toBe('')
    const verify = await run(['verify', 'a.txt'], dir)
    expect(verify.stderr).toMatch(/config: using tanba\.config\.json/)
  })

  it('tanba formats lists every format with what it supports (table and --json)', async () => {
    const table = await run(['formats'])
    expect(table.code).toBe(0)
    for (const id of ['jpeg', 'png', 'heic', 'pdf', 'mp3', 'm4a', 'ogg', 'aiff', 'text', 'markdown', 'html']) expect(table.stdout).toMatch(new RegExp(`^${id}\\b`, 'm'))
    const json = await run(['formats', '--json'])
    const { formats } = JSON.parse(json.stdout) as { formats: Array<{ id: string; supported: boolean; notice: string; noticeNote?: string; c2pa: { sign: boolean } }> }
    const byId = new Map(formats.map((f) => [f.id, f]))
    expect(byId.get('jpeg')).toMatchObject({ supported: true, notice: 'visible', c2pa: { sign: true } })
    expect(byId.get('mp3')).toMatchObject({ supported: true, notice: 'audible' })
    expect(byId.get('aiff')).toMatchObject({ supported: false, notice: 'none' })
    expect(byId.get('heic')?.noticeNote).toMatch(/--no-visible/)
  })

  it('the format table of docs/cli.md is the one scripts/gen-formats-doc.mjs makes from the registry', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-formats-doc.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it('the formats table agrees with what stamping does: "no notice" formats refuse the notice, naming --no-visible, and stamp without it', async () => {
    const json = await run(['formats', '--json'])
    const { formats } = JSON.parse(json.stdout) as { formats: Array<{ id: string; supported: boolean; notice: string; extensions: string[] }> }
    const samples: Record<string, string> = {
      heic: '../shared/corpus/media/sample1.heic',
      m4a: 'fixtures/audio/programme.m4a',
      ogg: 'fixtures/audio/programme.ogg',
      mp4: 'fixtures/video/h264-aac.mp4',
      mov: 'fixtures/video/h264-aac.mov',
      m4v: 'fixtures/video/h264-aac.m4v',
    }
    const none = formats.filter((f) => f.supported && f.notice === 'none')
    expect(none.map((f) => f.id).sort()).toEqual(Object.keys(samples).sort())
    const dir = join(work, 'no-notice')
    mkdirSync(dir, { recursive: true })
    for (const f of none) {
      const input = join(dir, `in.${f.extensions[0]}`)
      copyFileSync(join(ROOT, samples[f.id]!), input)
      const refused = await run(['stamp', input, '-o', join(dir, `a.${f.extensions[0]}`)])
      expect(refused.code, f.id).toBe(3)
      expect(refused.stderr, f.id).toMatch(/--no-visible/)
      const ok = await run(['stamp', input, '-o', join(dir, `b.${f.extensions[0]}`), '--no-visible'])
      expect(ok.code, `${f.id}: ${ok.stderr}`).toBe(0)
    }
  })
})

describe('C2PA and PDF flags', () => {
  it('--c2pa-required fails a file whose earlier manifest is unreadable; --c2pa-drop-broken-parent stamps it with a fresh manifest', async () => {
    const dir = join(work, 'c2pa-flags')
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(ROOT, 'fixtures/c2pa/no_alg.jpg'), join(dir, 'in.jpg'))
    const preferred = await run(['stamp', 'in.jpg', '-o', 'a.jpg', '--json'], dir)
    expect(preferred.code, preferred.stderr).toBe(0)
    const messages = (JSON.parse(preferred.stdout) as { results: Array<{ messages: Array<{ rule: string; reason: string }> }> }).results[0]!.messages
    expect(messages.map((m) => m.rule)).toContain('c2pa.parent-unreadable')
    expect(messages.find((m) => m.rule === 'c2pa.parent-unreadable')!.reason).toMatch(/--c2pa-drop-broken-parent/)
    const required = await run(['stamp', 'in.jpg', '-o', 'b.jpg', '--c2pa-required'], dir)
    expect(required.code).toBe(3)
    expect(existsSync(join(dir, 'b.jpg'))).toBe(false)
    const dropped = await run(['stamp', 'in.jpg', '-o', 'c.jpg', '--c2pa-required', '--c2pa-drop-broken-parent', '--json'], dir)
    expect(dropped.code, dropped.stderr).toBe(0)
    const result = (JSON.parse(dropped.stdout) as { results: Array<{ carriers: string[]; messages: Array<{ rule: string }> }> }).results[0]!
    expect(result.carriers).toContain('c2pa')
    expect(result.messages.map((m) => m.rule)).toContain('c2pa.parent-dropped')
  })

  it('--pdf-notice-layout overlay draws the notice on the page instead of in a band', async () => {
    const dir = join(work, 'pdf-layout')
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(ROOT, 'fixtures/pdf/rotated.pdf'), join(dir, 'in.pdf'))
    const band = await run(['stamp', 'in.pdf', '-o', 'band.pdf', '--json'], dir)
    const overlay = await run(['stamp', 'in.pdf', '-o', 'overlay.pdf', '--pdf-notice-layout', 'overlay', '--json'], dir)
    expect(band.code, band.stderr).toBe(0)
    expect(overlay.code, overlay.stderr).toBe(0)
    // The band grows the page boxes; the overlay leaves them as they were (poppler's pdfinfo reads them,
    // whether the page dictionaries are plain or in object streams).
    const mediaBox = (f: string) => spawnSync('pdfinfo', ['-box', '-f', '1', '-l', '1', f], { cwd: dir, encoding: 'utf8' }).stdout.match(/MediaBox:\s*([-\d. ]+)/)?.[1]?.trim()
    expect(mediaBox('in.pdf')).toBeDefined()
    expect(mediaBox('overlay.pdf')).toBe(mediaBox('in.pdf'))
    expect(mediaBox('band.pdf')).not.toBe(mediaBox('in.pdf'))
    const bad = await run(['stamp', 'in.pdf', '-o', 'x.pdf', '--pdf-notice-layout', 'sideways'], dir)
    expect(bad.code).toBe(3)
    expect(bad.stderr).toMatch(/band, overlay/)
  })
})

describe('--notice-icon', () => {
  it('draws one of the icons or places a PNG/SVG file; an unknown value or a missing file is a usage error', async () => {
    const dir = join(work, 'icon')
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(ROOT, '../shared/corpus/media/no_manifest.jpg'), join(dir, 'in.jpg'))
    writeFileSync(join(dir, 'eu-ai.svg'), '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4" fill="#0033cc"/></svg>')
    const plain = await run(['stamp', 'in.jpg', '-o', 'plain.jpg', '--no-watermark'], dir)
    const drawn = await run(['stamp', 'in.jpg', '-o', 'generated.jpg', '--notice-icon', 'generated', '--no-watermark'], dir)
    const file = await run(['stamp', 'in.jpg', '-o', 'file.jpg', '--notice-icon', 'eu-ai.svg', '--no-watermark'], dir)
    for (const r of [plain, drawn, file]) expect(r.code, r.stderr).toBe(0)
    const sizes = ['plain.jpg', 'generated.jpg', 'file.jpg'].map((f) => readFileSync(join(dir, f)).length)
    expect(new Set(sizes).size).toBe(3)
    const verified = await run(['verify', 'generated.jpg', 'file.jpg'], dir)
    expect(verified.code, verified.stdout).toBe(0)
    const unknown = await run(['stamp', 'in.jpg', '-o', 'x.jpg', '--notice-icon', 'sparkle'], dir)
    expect(unknown.code).toBe(3)
    expect(unknown.stderr).toMatch(/basic, generated, modified, auto, none or a PNG\/SVG file/)
    writeFileSync(join(dir, 'not-an-icon.txt'), 'hello')
    const wrong = await run(['stamp', 'in.jpg', '-o', 'y.jpg', '--notice-icon', 'not-an-icon.txt'], dir)
    expect(wrong.code).toBe(3)
    expect(wrong.stderr).toMatch(/PNG or an SVG/)
    expect(existsSync(join(dir, 'x.jpg')) || existsSync(join(dir, 'y.jpg'))).toBe(false)
  })
})
