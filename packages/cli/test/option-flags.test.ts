// The CLI names its flags where the SDK's messages name options: driven by the error's
// details.option and the one table in output.ts (issue 15), never by rewriting text it does not know.
import { afterAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ADAPTERS } from 'tanba'
import { CLI_OPTIONS, forCli } from '../src/output.js'
import { ensureBuilt, ROOT, tanba, tempDir, type RunResult } from './helpers.js'

const work = tempDir()
const configDir = join(work, 'config')
const kinds = new Set(ADAPTERS.map((a) => a.kind))
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

ensureBuilt()
afterAll(() => rmSync(work, { recursive: true, force: true }))

function run(args: string[]): Promise<RunResult> {
  return tanba(args, { cwd: work, configDir })
}
function copy(fixture: string, name: string): string {
  mkdirSync(work, { recursive: true })
  copyFileSync(join(ROOT, 'fixtures', fixture), join(work, name))
  return name
}
/** The line that reports the file or the error, without the dim hint line under it. */
function firstLine(text: string): string {
  return text.split('\n').find((l) => /^(failed|error:)/.test(l)) ?? ''
}

describe('forCli', () => {
  it('replaces the SDK wording of the option named by details.option, and only that', () => {
    const message = 'Stamp with notice: { visible: false } to write only the machine-readable carriers.'
    expect(forCli(message, 'notice.visible')).toBe('Stamp with --no-visible to write only the machine-readable carriers.')
    expect(forCli(message, undefined)).toBe(message)
    expect(forCli(message, 'c2pa')).toBe(message)
    expect(forCli('pass notice.text for it', 'adapterOptions.image.watermark')).toBe('pass notice.text for it')
    for (const [option, { sdk, cli }] of Object.entries(CLI_OPTIONS)) expect(forCli(`a ${sdk} b`, option), option).toBe(`a ${cli} b`)
  })
})

describe('flags in messages', () => {
  it('notice.visible: a format without a notice and an image too small for one name --no-visible', async () => {
    const inputs = [...(kinds.has('audio') ? [copy('audio/programme.m4a', 'in.m4a')] : []), ...(kinds.has('image') ? ['tiny.png'] : [])]
    writeFileSync(join(work, 'tiny.png'), TINY_PNG)
    for (const input of inputs) {
      const r = await run(['stamp', input, '-o', `out-${input}`])
      expect(r.code, input).toBe(3)
      const line = firstLine(r.stderr)
      expect(line, input).toMatch(/Stamp (it )?with --no-visible to write/)
      expect(line, input).not.toMatch(/notice[:.]/)
      const json = await run(['stamp', input, '-o', `out-${input}`, '--json'])
      const error = JSON.parse(json.stdout).results[0].error
      expect(error.option).toBe('notice.visible')
      expect(error.message).toMatch(/--no-visible/)
    }
  })

  it('adapterOptions.pdf.password: stamp and verify name --pdf-password-file in the message itself', async () => {
    if (!kinds.has('pdf')) return
    const input = copy('pdf/encrypted-aes256.pdf', 'secret.pdf')
    const s = await run(['stamp', input, '-o', 'secret.out.pdf'])
    expect(s.code).toBe(3)
    expect(firstLine(s.stderr)).toMatch(/pass a file holding it with --pdf-password-file to label it/)
    expect(firstLine(s.stderr)).not.toMatch(/adapterOptions/)
    const v = await run(['verify', input])
    expect(v.code).toBe(3)
    expect(v.stdout).toMatch(/pass a file holding it with --pdf-password-file to label it/)
    expect(v.stdout).not.toMatch(/adapterOptions/)
    const b = await run(['stamp', input, '--out-dir', 'secret-out'])
    expect(b.stdout).toMatch(/failed\s+secret\.pdf: .*--pdf-password-file/)
  })

  it('c2pa: --c2pa-required on a PDF names --no-c2pa', async () => {
    if (!kinds.has('pdf')) return
    const r = await run(['stamp', copy('pdf/sizes.pdf', 'plain.pdf'), '-o', 'plain.out.pdf', '--c2pa-required'])
    expect(r.code).toBe(3)
    expect(firstLine(r.stderr)).toMatch(/--no-c2pa/)
  })

  it('force: an already-labelled file names --force; keygen into a used folder names --force', async () => {
    writeFileSync(join(work, 'a.txt'), 'Hello from a model.\n')
    expect((await run(['stamp', 'a.txt', '-o', 'a1.txt'])).code).toBe(0)
    const again = await run(['stamp', 'a1.txt', '-o', 'a2.txt'])
    expect(again.stdout).toMatch(/kept\s+a1\.txt: .*--force/)
    expect((await run(['keygen', '--out', 'keys'])).code).toBe(0)
    const keys = await run(['keygen', '--out', 'keys'])
    expect(keys.code).toBe(3)
    expect(firstLine(keys.stderr)).toMatch(/--force/)
  })

  it('notice.text, adapterOptions.image.watermark and adapterOptions.image.iconImage name --notice, --watermark and --notice-icon', async () => {
    writeFileSync(join(work, 'b.txt'), 'Hello from a model.\n')
    const lang = await run(['stamp', 'b.txt', '-o', 'b1.txt', '--lang', 'xx'])
    expect(lang.code).toBe(3)
    expect(firstLine(lang.stderr)).toMatch(/pass --notice <text> for it/)
    if (!kinds.has('image')) return
    writeFileSync(join(work, 'tiny.png'), TINY_PNG)
    const mark = await run(['stamp', 'tiny.png', '-o', 'tiny.out.png', '--no-visible', '--watermark'])
    expect(mark.code).toBe(3)
    expect(firstLine(mark.stderr)).toMatch(/stamp without --watermark$/)
    const icon = await run(['stamp', copy('image/photo.png', 'photo.png'), '-o', 'photo.out.png', '--notice-icon', 'b.txt'])
    expect(icon.code).toBe(3)
    expect(firstLine(icon.stderr)).toMatch(/\(--notice-icon FILE\)/)
    expect(firstLine(icon.stderr)).not.toMatch(/adapterOptions/)
  })
})
