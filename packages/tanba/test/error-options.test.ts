// Errors about an option the caller set, or that suggest one, name it in details.option (issue 15):
// the message stays in SDK terms, and a front end (the CLI) names its own flag from the option.
import { beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { ADAPTERS, errorOption, isTanbaError, stamp, stampFiles, toFileError, verify, type SdkStampOptions } from 'tanba/node'

const ROOT = new URL('../../../', import.meta.url).pathname
const kinds = new Set(ADAPTERS.map((a) => a.kind))
const fixture = (path: string) => new Uint8Array(readFileSync(join(ROOT, 'fixtures', path)))
// A 1×1 PNG: too small for the visible warning and for the watermark.
const TINY_PNG = Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'))

let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})
const options = (extra: Partial<SdkStampOptions> = {}): SdkStampOptions => ({ signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false, ...extra })

async function stampError(input: Uint8Array, extra: Partial<SdkStampOptions> = {}): Promise<Error> {
  const error = await stamp(input, options(extra)).then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isTanbaError(error)) throw new Error(`expected a TanbaError, got ${String(error)}`)
  return error
}

describe('details.option', () => {
  it('notice.visible: a format that takes no notice, and an image too small for it; the message says notice: { visible: false }', async () => {
    const cases: Array<[string, Uint8Array]> = []
    if (kinds.has('audio')) cases.push(['m4a', fixture('audio/programme.m4a')])
    if (kinds.has('image')) cases.push(['tiny png', TINY_PNG])
    for (const [name, input] of cases) {
      const error = await stampError(input)
      expect(error, name).toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT', details: { option: 'notice.visible' } })
      expect(error.message, name).toContain('notice: { visible: false }')
      expect(error.message, name).not.toMatch(/--no-visible/)
      expect(errorOption(error)).toBe('notice.visible')
      expect(toFileError(error).option).toBe('notice.visible')
    }
  })

  it('adapterOptions.pdf.password: stamp throws it, verify reports it, stampFiles carries it in the result', async () => {
    if (!kinds.has('pdf')) return
    const input = fixture('pdf/encrypted-aes256.pdf')
    const error = await stampError(input)
    expect(error).toMatchObject({ code: 'TANBA_ENCRYPTED_INPUT', details: { option: 'adapterOptions.pdf.password' } })
    expect(error.message).toContain('pass it as adapterOptions.pdf.password')
    const wrong = await stampError(input, { adapterOptions: { pdf: { password: 'not it' } } })
    expect(wrong).toMatchObject({ code: 'TANBA_ENCRYPTED_INPUT', details: { option: 'adapterOptions.pdf.password' } })
    const report = await verify(input)
    expect(report.error).toMatchObject({ code: 'TANBA_ENCRYPTED_INPUT', option: 'adapterOptions.pdf.password' })

    const dir = mkdtempSync(join(tmpdir(), 'tanba-error-options-'))
    writeFileSync(join(dir, 'a.pdf'), input)
    writeFileSync(join(dir, 'b.pdf'), input)
    // Two files with two workers: the option crosses the worker boundary too.
    const summary = await stampFiles([join(dir, 'a.pdf'), join(dir, 'b.pdf')], { cwd: dir, outDir: join(dir, 'out'), concurrency: 2, signer: creds.signer, c2pa: false })
    expect(summary.results.map((r) => r.error?.option)).toEqual(['adapterOptions.pdf.password', 'adapterOptions.pdf.password'])
  })

  it('notice.text, adapterOptions.image.watermark and adapterOptions.image.iconImage', async () => {
    const text = new TextEncoder().encode('Hello from a model.\n')
    const lang = await stampError(text, { mediaType: 'text/plain', notice: { languages: ['xx'] } })
    expect(lang).toMatchObject({ code: 'TANBA_INVALID_OPTION', details: { option: 'notice.text' } })
    expect(lang.message).toContain('pass notice.text for it')
    if (!kinds.has('image')) return
    const mark = await stampError(TINY_PNG, { notice: { visible: false }, adapterOptions: { image: { watermark: true } } })
    expect(mark).toMatchObject({ code: 'TANBA_INVALID_OPTION', details: { option: 'adapterOptions.image.watermark' } })
    expect(mark.message).toContain('stamp without adapterOptions.image.watermark')
    const icon = await stampError(fixture('image/photo.png'), { adapterOptions: { image: { iconImage: text } } })
    expect(icon).toMatchObject({ code: 'TANBA_INVALID_OPTION', details: { option: 'adapterOptions.image.iconImage' } })
    expect(icon.message).toContain('(adapterOptions.image.iconImage)')
  })

  it('c2pa: c2pa "required" on a format without C2PA signing', async () => {
    if (!kinds.has('pdf')) return
    const error = await stampError(fixture('pdf/sizes.pdf'), { c2pa: 'required' })
    expect(error).toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT', details: { option: 'c2pa' } })
  })
})
