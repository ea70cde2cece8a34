// Stamping for a profile whose rules this image cannot meet says so at stamp time, not first on verify.
import { stampWith, verifyWith, type StampOptions } from '@tanba/core'
import { describe, expect, it } from 'vitest'
import { imageFormat } from '../src/index.js'
import { corpus, fixture, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()
const base: StampOptions = { signer: creds.signer, system: { name: 'Acme Image Studio', version: '3' }, owner: { name: 'Acme Ltd' }, c2pa: false, profiles: ['kz', 'eu'] }
const rules = (r: { messages: Array<{ rule: string }> }) => r.messages.map((m) => m.rule)

describe('the eu profile and the watermark layer', () => {
  it('a 200×200 PNG gets no watermark: stamping warns, and verify fails exactly that eu rule', async () => {
    const png = imageFormat('png')!
    const stamped = await stampWith(adapter, fixture('alpha.png'), png, base)
    const warning = stamped.messages.find((m) => m.rule === 'profile.eu.watermark')
    expect(warning?.reason).toMatch(/200×200, smaller than the 256 pixels/)
    expect(warning?.fatal).toBe(false)
    const report = await verifyWith(adapter, stamped.bytes, png, { trust: creds.trust, c2pa: false })
    expect(report.status).toBe('valid')
    expect(report.profiles.kz?.pass).toBe(true)
    expect(report.profiles.eu?.pass).toBe(false)
    expect(report.profiles.eu?.failures).toEqual([expect.stringMatching(/watermark/)])
  })

  it('a camera JPEG gets the watermark: no warning, and the eu profile passes', async () => {
    const jpeg = imageFormat('jpeg')!
    const stamped = await stampWith(adapter, corpus('media/no_manifest.jpg'), jpeg, base)
    expect(stamped.messages.filter((m) => m.rule === 'profile.eu.watermark')).toEqual([])
    const report = await verifyWith(adapter, stamped.bytes, jpeg, { trust: creds.trust, c2pa: false })
    expect(report.profiles.eu?.pass, JSON.stringify(report.profiles.eu)).toBe(true)
  })

  it('the watermark turned off names the option; without the eu profile nothing is said', async () => {
    const jpeg = imageFormat('jpeg')!
    const off = await stampWith(adapter, corpus('media/no_manifest.jpg'), jpeg, { ...base, adapterOptions: { image: { watermark: false } } })
    expect(off.messages.find((m) => m.rule === 'profile.eu.watermark')?.reason).toMatch(/--no-watermark/)
    const kzOnly = await stampWith(adapter, fixture('alpha.png'), imageFormat('png')!, { ...base, profiles: ['kz'] })
    expect(rules(kzOnly)).not.toContain('profile.eu.watermark')
  })
})
