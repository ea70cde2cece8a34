// Issue 14: files whose existing C2PA is unreadable, invalid or only a remote reference, made by
// c2pa-rs (fixtures/c2pa), through the image adapter: one policy with the other adapters, and a
// message that names the flag.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { stampWith, verifyWith, type StampOptions } from '@tanba/core'
import { sniffImageFormat } from '../src/index.js'
import { ROOT, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()
const c2paFixture = (name: string) => new Uint8Array(readFileSync(join(ROOT, 'fixtures/c2pa', name)))
const options = (extra: Partial<StampOptions> = {}): StampOptions => ({ signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, ...extra })
const rules = (r: { messages: { rule: string }[] }) => r.messages.map((m) => m.rule).filter((rule) => rule.startsWith('c2pa.'))

describe('an existing manifest with an unknown algorithm (no_alg.jpg)', () => {
  const input = c2paFixture('no_alg.jpg')
  const format = sniffImageFormat(input)!
  it('is stamped by default, without C2PA, and the message names --no-c2pa and --c2pa-drop-broken-parent', async () => {
    const result = await stampWith(adapter, input, format, options())
    expect(result.carriers).not.toContain('c2pa')
    expect(rules(result)).toEqual(['c2pa.parent-unreadable'])
    const reason = result.messages.find((m) => m.rule === 'c2pa.parent-unreadable')!.reason
    expect(reason).toMatch(/unknown algorithm/)
    expect(reason).toMatch(/--no-c2pa/)
    expect(reason).toMatch(/--c2pa-drop-broken-parent/)
    expect((await verifyWith(adapter, result.bytes, format, { trust: creds.trust })).status).toBe('valid')
  })
  it("fails with a typed error under c2pa: 'required'", async () => {
    await expect(stampWith(adapter, input, format, options({ c2pa: 'required' }))).rejects.toMatchObject({ code: 'TANBA_MALFORMED_INPUT', details: { rule: 'c2pa.parent-unreadable' } })
  })
  it('drops the broken manifest on request: a fresh Tanba manifest that validates', async () => {
    const result = await stampWith(adapter, input, format, options({ c2pa: 'required', adapterOptions: { c2pa: { brokenParent: 'drop' } } }))
    expect(result.carriers).toContain('c2pa')
    expect(rules(result)).toEqual(['c2pa.parent-dropped'])
    const report = await verifyWith(adapter, result.bytes, format, { trust: creds.trust })
    expect(report.status).toBe('valid')
    expect(report.markers.filter((m) => m.standard === 'c2pa').map((m) => m.valid)).toEqual([true])
  })
})

describe('an existing manifest whose claim signature is broken (E-sig-CA.jpg)', () => {
  const input = c2paFixture('E-sig-CA.jpg')
  const format = sniffImageFormat(input)!
  it('is kept as the parent and the stamp says the new history now validates invalid', async () => {
    const result = await stampWith(adapter, input, format, options({ notice: { visible: false } }))
    expect(rules(result)).toEqual(['c2pa.parent-invalid'])
  })
})

describe('a remote manifest reference (libpng-test_with_url.png: XMP dcterms:provenance only)', () => {
  const input = c2paFixture('libpng-test_with_url.png')
  const format = sniffImageFormat(input)!
  it('verify reports a C2PA marker whose manifest was not fetched', async () => {
    const report = await verifyWith(adapter, input, format, { trust: creds.trust })
    const marker = report.markers.find((m) => m.standard === 'c2pa')
    expect(marker).toMatchObject({ carrier: 'xmp:dcterms:provenance', valid: null, value: { remoteManifest: 'http://localhost:5000/libpng-test.c2pa', fetched: false } })
    expect(report.messages.map((m) => m.rule)).toContain('c2pa.remote-manifest')
  })
})
