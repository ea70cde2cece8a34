import { join } from 'node:path'
import { isTanbaError, verifyWith } from '@tanba/core'
import { describe, expect, it } from 'vitest'
import { cpuTime } from '@tanba/core/testing'
import { PDF_FORMAT } from '../src/formats.js'
import { PdfFile } from '../src/adapter.js'
import { adapter, CORPUS, credentials, limits, load, qpdfCheck, stamp } from './helpers.js'

/** A small deterministic PRNG so failures can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('damaged copies of a stamped PDF', () => {
  it('truncated at 60 points or with random bytes flipped: a typed error or a clean report, never "valid" for a broken bound revision', async () => {
    const { trust } = await credentials()
    const stamped = (await stamp(load(join(CORPUS, 'media', 'basic.pdf')))).bytes
    const extent = (await verifyWith(adapter, stamped, PDF_FORMAT, { trust, c2pa: false })).label!.binding.extent!
    const rnd = prng(42)
    const variants: { name: string; bytes: Uint8Array; boundBroken: boolean }[] = []
    for (let i = 1; i <= 60; i++) {
      const cut = Math.floor((stamped.length * i) / 61)
      variants.push({ name: `cut@${cut}`, bytes: stamped.slice(0, cut), boundBroken: true })
    }
    for (let i = 0; i < 60; i++) {
      const copy = stamped.slice()
      const at = Math.floor(rnd() * copy.length)
      copy[at] = copy[at]! ^ (1 + Math.floor(rnd() * 255))
      variants.push({ name: `flip@${at}`, bytes: copy, boundBroken: at < extent })
    }
    for (const v of variants) {
      const { value: report, cpuMs } = await cpuTime(() => verifyWith(adapter, v.bytes, PDF_FORMAT, { trust, c2pa: false }))
      expect(cpuMs, v.name).toBeLessThan(4000)
      if (v.boundBroken) expect(report.status, v.name).not.toBe('valid')
      expect(['valid', 'invalid', 'unlabelled', 'error'], v.name).toContain(report.status)
      if (report.status === 'error') expect(report.error?.code, v.name).toMatch(/^TANBA_/)
    }
  }, 120_000)

  it('stamping damaged copies either works (and the result is a sound PDF) or fails with a typed error', async () => {
    const original = load(join(CORPUS, 'media', 'basic-no-xmp.pdf'))
    const rnd = prng(7)
    for (let i = 0; i < 25; i++) {
      const copy = original.slice(0, original.length - Math.floor(rnd() * 400))
      const at = Math.floor(rnd() * copy.length)
      copy[at] = copy[at]! ^ 0x55
      const outcome = await stamp(copy).then(
        (r) => r,
        (e: unknown) => e,
      )
      if (outcome instanceof Error) {
        expect(isTanbaError(outcome), String(outcome)).toBe(true)
        continue
      }
      // Whatever was stamped must open cleanly again and carry its label.
      const { trust } = await credentials()
      const report = await verifyWith(adapter, (outcome as { bytes: Uint8Array }).bytes, PDF_FORMAT, { trust, c2pa: false })
      expect(report.label, `variant ${i}`).not.toBeNull()
      // Tanba's own revisions always leave a cross-reference chain that needs no repair.
      expect(PdfFile.open((outcome as { bytes: Uint8Array }).bytes, { limits }).repaired, `variant ${i}`).toBe(false)
    }
  }, 120_000)
  it('a metadata-only stamp of a PDF whose cross-reference data needed repair verifies as valid (found by the hardening sweep)', async () => {
    const { trust } = await credentials()
    const text = new TextDecoder('latin1').decode(load(join(CORPUS, 'media', 'basic.pdf')))
    const startxref = [...text.matchAll(/startxref\s+\d+/g)].pop()![0]
    const damaged = [text.replace(startxref, 'startxref\n99999999999999999999'), text.replace(/\/Length (\d+)/, (_, n: string) => `/Length ${Number(n) + 9000}`)]
    for (const [i, variant] of damaged.entries()) {
      const input = Uint8Array.from(variant, (c) => c.charCodeAt(0))
      for (const visible of [false, true]) {
        const result = await stamp(input, { notice: { visible } })
        expect(result.messages.map((m) => m.rule), `variant ${i}`).toContain('pdf.xref-repaired')
        const report = await verifyWith(adapter, result.bytes, PDF_FORMAT, { trust, c2pa: false })
        expect(report.status, `variant ${i}, notice ${visible}: ${JSON.stringify(report.messages)}`).toBe('valid')
        expect(PdfFile.open(result.bytes, { limits }).repaired).toBe(false)
        // A wrong /Length stays wrong in the original bytes (never rewritten); a lost startxref is fully mended.
        const check = i === 0 ? qpdfCheck(result.bytes) : null
        if (check) expect(check.ok, check.output).toBe(true)
      }
    }
  })

  it('a PDF cut inside its last object is refused for stamping, since an appended update would be read as part of that object (found by the hardening sweep)', async () => {
    const { trust } = await credentials()
    const original = load(join(CORPUS, 'media', 'basic-no-xmp.pdf'))
    const text = new TextDecoder('latin1').decode(original)
    // Cut in the middle of the last object's stream, before its "endstream" and "endobj".
    const lastObj = [...text.matchAll(/\d+ 0 obj/g)].pop()!.index!
    const streamAt = text.indexOf('stream', lastObj)
    expect(streamAt).toBeGreaterThan(0)
    const cut = original.slice(0, streamAt + 60)
    const before = cut.slice()
    for (const visible of [false, true]) {
      const error = await stamp(cut, { notice: { visible } }).then(
        () => null,
        (e: unknown) => e,
      )
      expect(isTanbaError(error) && error.code, String(error)).toBe('TANBA_MALFORMED_INPUT')
      expect((error as Error).message).toMatch(/ends inside object \d+/)
    }
    expect(cut).toEqual(before)
    // The same bytes still get an answer on verify (unlabelled, nothing to bind).
    const report = await verifyWith(adapter, cut, PDF_FORMAT, { trust, c2pa: false })
    expect(['unlabelled', 'error']).toContain(report.status)
  })
})
