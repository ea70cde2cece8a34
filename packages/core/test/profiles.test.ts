import { describe, expect, it } from 'vitest'
import { evaluateProfile, NOTICE_TEXTS, noticeText, PROFILES, resolveNotice, type Marker } from '../src/index.js'

const tanba: Marker = { standard: 'tanba', carrier: 'xmp', aiMarked: true, valid: true }
const tc260: Marker = { standard: 'tc260', carrier: 'xmp', aiMarked: true, valid: null }
const notice = (langs: string[], text = ''): Marker => ({ standard: 'notice', carrier: 'text', aiMarked: true, valid: true, value: { langs, text } })

describe('notice texts', () => {
  it('has correct Kazakh, Uzbek and Chinese letters', () => {
    expect(NOTICE_TEXTS.kk!.generated).toMatch(/[әғқңөұүһі]/)
    expect(NOTICE_TEXTS.kk!.modified).toContain('өзгертілген')
    expect(NOTICE_TEXTS.uz!.modified).toContain('o\u02BBzgartirilgan') // oʻ with U+02BB
    expect(NOTICE_TEXTS.uz!.generated).toContain('sun\u02BCiy') // tutuq belgisi U+02BC
    for (const origin of ['generated', 'modified'] as const) {
      expect(NOTICE_TEXTS.zh![origin]).toContain('人工智能')
      expect(NOTICE_TEXTS.zh![origin]).toMatch(/生成|合成/)
      // No Latin look-alikes inside Cyrillic words.
      expect(NOTICE_TEXTS.kk![origin]).not.toMatch(/[a-zA-Z]/)
      expect(NOTICE_TEXTS.ru![origin]).not.toMatch(/[a-zA-Z]/)
    }
  })

  it('resolves profile languages, overrides and additions', () => {
    expect(resolveNotice('generated', ['kz'])!.lines.map((l) => l.lang)).toEqual(['kk', 'ru'])
    expect(resolveNotice('generated', ['uz', 'kz'])!.lines.map((l) => l.lang)).toEqual(['uz', 'ru', 'kk'])
    expect(resolveNotice('generated', ['eu'], { addLanguages: ['kk'] })!.lines.map((l) => l.lang)).toEqual(['en', 'kk'])
    expect(resolveNotice('modified', ['kz'], { text: { ru: 'Сделано нейросетью' } })!.lines[1]!.text).toBe('Сделано нейросетью')
    expect(resolveNotice('generated', ['kz'], { visible: false })).toBeNull()
    expect(resolveNotice('generated', ['cn'])!.minTextHeight).toBe(0.05)
    expect(() => resolveNotice('generated', ['kz'], { languages: ['tlh'] })).toThrow(/No built-in notice text for language "tlh"/)
    expect(noticeText('kk-KZ', 'generated')).toBe(NOTICE_TEXTS.kk!.generated)
    expect(noticeText('uz-Latn', 'modified', undefined, true)).toBe('SI oʻzgartirgan')
  })
})

describe('profile evaluation', () => {
  it('kz passes with a valid label and a Kazakh + Russian notice', () => {
    expect(evaluateProfile(PROFILES.kz, { kind: 'text', markers: [tanba, notice(['kk', 'ru'])], label: null })).toEqual({ pass: true, failures: [] })
    expect(evaluateProfile(PROFILES.kz, { kind: 'text', markers: [tanba, notice(['ru'])], label: null }).failures).toEqual(['notice: expected the notice in language "kk"'])
    expect(evaluateProfile(PROFILES.kz, { kind: 'image', markers: [{ ...tanba, valid: false }], label: null }).pass).toBe(false)
  })

  it('cn needs TC260, Chinese, the required words and 5% text height on images', () => {
    const ok = evaluateProfile(PROFILES.cn, { kind: 'text', markers: [tc260, notice(['zh'], '本内容由人工智能生成')], label: null })
    expect(ok.pass).toBe(true)
    const words = evaluateProfile(PROFILES.cn, { kind: 'text', markers: [tc260, notice(['zh'], '机器写的')], label: null })
    expect(words.failures).toHaveLength(2)
    const label = { notice: { method: 'overlay', langs: ['zh'], height: 0.03 } } as never
    const small = evaluateProfile(PROFILES.cn, { kind: 'image', markers: [tc260], label })
    expect(small.failures).toEqual(['notice: expected text height at least 5% of the shortest side, found 3.0%'])
  })

  it('eu needs signed metadata, and a watermark for images and for text above 200 tokens', () => {
    const iptc: Marker = { standard: 'iptc', carrier: 'xmp', aiMarked: true, valid: null }
    const watermark: Marker = { standard: 'watermark', carrier: 'pixels', aiMarked: true, valid: true }
    const image = (markers: Marker[]) => evaluateProfile(PROFILES.eu, { kind: 'image', markers, label: null })
    expect(image([iptc, watermark, notice(['en'])]).failures).toEqual(['machine-readable: expected a valid tanba or c2pa marker'])
    const noMark = image([tanba, iptc, notice(['en'])])
    expect(noMark.failures).toEqual(['machine-readable: expected a valid watermark marker'])
    expect(noMark.details?.[0]).toMatchObject({ message: expect.stringContaining('missing an imperceptible watermark'), citation: expect.stringContaining('Measure 1.1.2'), basis: 'guideline' })
    expect(image([tanba, watermark, notice(['en'])]).pass).toBe(true)
    // Text: metadata alone up to 200 tokens (about 800 bytes); above, the watermark layer Tanba does not write.
    expect(evaluateProfile(PROFILES.eu, { kind: 'text', markers: [tanba, notice(['en'])], label: null, size: 400 }).pass).toBe(true)
    const long = evaluateProfile(PROFILES.eu, { kind: 'text', markers: [tanba, notice(['en'])], label: null, size: 4000 })
    expect(long.failures).toEqual(['machine-readable: expected a valid watermark marker'])
    expect(long.details?.[0]?.message).toMatch(/Tanba writes none for text/)
    // Audio and PDF: two layers, one signed.
    expect(evaluateProfile(PROFILES.eu, { kind: 'audio', markers: [tanba, notice(['en'])], label: null }).failures).toEqual(['machine-readable: expected a valid iptc or tc260 or c2pa or tanba marker'])
  })

  it('in: metadata and a notice for audio and visual content, the audio notice at the start; no text rules', () => {
    const startLabel = { notice: { method: 'audio-rhythm', langs: ['en'], placement: 'start' } } as never
    const endLabel = { notice: { method: 'audio-rhythm', langs: ['en'], placement: 'end' } } as never
    expect(evaluateProfile(PROFILES.in, { kind: 'audio', markers: [tanba], label: startLabel }).pass).toBe(true)
    expect(evaluateProfile(PROFILES.in, { kind: 'audio', markers: [tanba], label: endLabel }).failures).toEqual(['notice: expected the notice at the start, found it at "end"'])
    expect(evaluateProfile(PROFILES.in, { kind: 'image', markers: [], label: null }).failures).toEqual(['machine-readable: expected a valid tanba or c2pa or iptc or tc260 marker', 'notice: expected a perceivable notice'])
    expect(evaluateProfile(PROFILES.in, { kind: 'text', markers: [], label: null })).toEqual({ pass: true, failures: [], notApplicable: true })
  })

  it('us-ca: a latent disclosure with provider, system name and version, time and identifier; no notice required', () => {
    const full = { id: 'lbl-1', created: '2026-12-02T00:00:00Z', owner: { name: 'Acme LLP' }, system: { name: 'Acme Studio', version: '3.1' } } as never
    const noVersion = { id: 'lbl-1', created: '2026-12-02T00:00:00Z', owner: { name: 'Acme LLP' }, system: { name: 'Acme Studio' } } as never
    expect(evaluateProfile(PROFILES['us-ca'], { kind: 'image', markers: [tanba], label: full }).pass).toBe(true)
    expect(evaluateProfile(PROFILES['us-ca'], { kind: 'image', markers: [tanba], label: noVersion }).failures).toEqual(['label: missing system.version (give --model (or system.version))'])
    // Stripped of its metadata: no latent disclosure at all.
    const stripped = evaluateProfile(PROFILES['us-ca'], { kind: 'image', markers: [], label: null })
    expect(stripped.pass).toBe(false)
    expect(stripped.failures[0]).toBe('machine-readable: expected a valid tanba or c2pa marker')
    expect(stripped.details?.[0]?.citation).toMatch(/22757\.3\(b\)/)
  })

  it('cn: a third party\'s TC260 label that breaks the value rules is reported', () => {
    const bad: Marker = { ...tc260, aiMarked: false, value: { Label: '4', ContentProducer: 'Acme "AI" Co', ProduceID: 'x y', ReservedCode1: '', ContentPropagator: '', PropagateID: '', ReservedCode2: '' } }
    const r = evaluateProfile(PROFILES.cn, { kind: 'text', markers: [bad, notice(['zh'], '本内容由人工智能生成')], label: null })
    expect(r.failures).toHaveLength(2)
    expect(r.failures[0]).toBe('machine-readable: expected a valid tc260 marker')
    expect(r.failures[1]).toMatch(/Label is "4".*ContentProducer holds characters outside printable ASCII.*ProduceID holds/)
    const good: Marker = { ...tc260, value: { Label: '1', ContentProducer: '001191110102MAD55U9H0F10002', ProduceID: 'abc-123', ReservedCode1: '', ContentPropagator: '001191110102MAD55U9H0F10002', PropagateID: 'abc-123', ReservedCode2: '' } }
    expect(evaluateProfile(PROFILES.cn, { kind: 'text', markers: [good, notice(['zh'], '本内容由人工智能生成')], label: null }).pass).toBe(true)
  })
})
