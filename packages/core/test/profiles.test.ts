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

  it('eu needs two machine-readable layers, one of them signed', () => {
    const iptc: Marker = { standard: 'iptc', carrier: 'xmp', aiMarked: true, valid: null }
    expect(evaluateProfile(PROFILES.eu, { kind: 'image', markers: [iptc, notice(['en'])], label: null }).failures).toEqual(['machine-readable: expected a valid tanba or c2pa marker'])
    expect(evaluateProfile(PROFILES.eu, { kind: 'image', markers: [tanba, notice(['en'])], label: null }).failures).toEqual(['machine-readable: expected a valid iptc or tc260 or c2pa or tanba marker'])
    expect(evaluateProfile(PROFILES.eu, { kind: 'image', markers: [tanba, iptc, notice(['en'])], label: null }).pass).toBe(true)
  })
})
