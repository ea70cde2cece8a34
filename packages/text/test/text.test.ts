import { MalformedInputError, TrustStore, encodeCompactLabel, stampWith, verifyWith, type Label } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  NOTICE_TAG,
  TANBA_TEXT_MAGIC,
  aiDisclosureHeader,
  aiDisclosureHeaders,
  createTextAdapter,
  encodeTextWrapper,
  findWrappers,
  plainTextFormat,
  stampText,
  textEntry,
  verifyText,
} from '../src/index.js'
import { SAMPLES, WRAPPER_RE, dec, enc, fixture, stampOptions, withoutWrappers } from './helpers.js'

let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})

const KK_NOTICE = 'Бұл мазмұнды жасанды интеллект жасаған'
const RU_NOTICE = 'Этот контент создан искусственным интеллектом'

describe('plain text: multilingual round trips', () => {
  for (const [name, sample] of Object.entries(SAMPLES)) {
    it(`${name}: stamps, keeps the text, verifies valid and finds the notice`, async () => {
      const { text, label } = await stampText(sample, stampOptions(creds))
      expect(withoutWrappers(text)).toBe(`${NOTICE_TAG} ${KK_NOTICE} / ${RU_NOTICE}\n\n${sample}`)
      expect(text.match(WRAPPER_RE)).toHaveLength(1)
      expect(text.endsWith(text.match(WRAPPER_RE)![0])).toBe(true)
      const report = await verifyText(text, { trust: creds.trust })
      expect(report.status).toBe('valid')
      expect(report.label?.id).toBe(label.id)
      expect(report.binding?.valid).toBe(true)
      expect(report.profiles.kz).toEqual({ pass: true, failures: [] })
      const notice = report.markers.find((m) => m.standard === 'notice')
      expect(notice?.value).toMatchObject({ langs: ['kk', 'ru'], placement: 'start' })
    })
  }

  it('leaves emoji VS16 and CJK ideographic variation selectors intact and never reads them as labels', async () => {
    const unstamped = await verifyText(SAMPLES.emoji + SAMPLES.cjkVariants)
    expect(unstamped.status).toBe('unlabelled')
    expect(unstamped.messages).toEqual([])
    expect(findWrappers(SAMPLES.emoji + SAMPLES.cjkVariants)).toEqual([])
    const { text } = await stampText(SAMPLES.emoji + SAMPLES.cjkVariants, stampOptions(creds))
    expect(withoutWrappers(text).endsWith(SAMPLES.emoji + SAMPLES.cjkVariants)).toBe(true)
    expect([...withoutWrappers(text)].filter((c) => c === '\uFE0F').length).toBe([...SAMPLES.emoji].filter((c) => c === '\uFE0F').length)
    expect((await verifyText(text)).status).toBe('valid')
  })

  it('stamps the multilingual fixture file byte for byte around the carriers', async () => {
    const sample = fixture('sample.txt')
    const { text } = await stampText(sample, stampOptions(creds))
    expect(withoutWrappers(text).slice(-sample.length)).toBe(sample)
  })
})

describe('plain text: the label', () => {
  it('fits the default (zero-configuration) label in 256 payload bytes, without the certificate chain', async () => {
    const { label, text } = await stampText('Short post.', {
      signer: creds.signer,
      system: { name: 'Unspecified AI system' },
      owner: { name: 'Unspecified owner' },
    })
    expect(label.sig.x5c).toBeUndefined()
    const payload = encodeCompactLabel(label)
    expect(payload.length).toBeLessThanOrEqual(256)
    const wrapper = text.match(WRAPPER_RE)![0]
    expect([...wrapper].length).toBe(1 + 13 + payload.length)
  })

  it('fits a short real identity in 256 payload bytes too', async () => {
    const { label } = await stampText('Short post.', { signer: creds.signer, system: { name: 'Acme Chat' }, owner: { name: 'Acme LLP', id: '123456789012' } })
    expect(encodeCompactLabel(label).length).toBeLessThanOrEqual(256)
  })

  it('is valid but untrusted under a root-only trust store, and trusted through the signer key', async () => {
    const { text } = await stampText(SAMPLES.kazakh, stampOptions(creds))
    const byRoot = await verifyText(text, { trust: creds.trust })
    expect(byRoot.status).toBe('valid')
    expect(byRoot.signature).toMatchObject({ valid: true, trusted: false })
    const byKey = await verifyText(text, { trust: await TrustStore.from({ keys: [creds.signer.publicKey] }) })
    expect(byKey.signature).toMatchObject({ valid: true, trusted: true })
    const required = await verifyText(text, { trust: creds.trust, requireTrusted: true })
    expect(required.status).toBe('invalid')
  })

  it('embeds the chain when asked (adapterOptions.text.certificates)', async () => {
    const { text, label } = await stampText(SAMPLES.russian, stampOptions(creds, { adapterOptions: { text: { certificates: true } } }))
    expect(label.sig.x5c?.length).toBe(2)
    expect((await verifyText(text, { trust: creds.trust })).signature).toMatchObject({ trusted: true })
  })

  it('signs once: the compact copy is the full label without x5c, and both verify', async () => {
    const adapter = createTextAdapter()
    const result = await stampWith(adapter, enc.encode('x'), plainTextFormat, stampOptions(creds))
    expect(result.label.sig.x5c).toBeUndefined()
    expect(result.label.sig.pub).toBeTruthy()
  })

  it('gives the AI-Disclosure header value from core', async () => {
    const { label } = await stampText('x', stampOptions(creds))
    expect(aiDisclosureHeader(label)).toBe(`mode=ai-originated, model="acme-llm-2", provider="Acme LLP", date="${label.created}"`)
    const modified = await stampText('x', stampOptions(creds, { origin: 'modified' }))
    expect(aiDisclosureHeaders(modified.label)['AI-Disclosure']).toMatch(/^mode=ai-modified,/)
  })
})

describe('plain text: verification verdicts', () => {
  let stamped: string
  let label: Label
  beforeAll(async () => {
    ;({ text: stamped, label } = await stampText(SAMPLES.kazakh, stampOptions(creds)))
  })

  it('any edit of the text makes the label invalid', async () => {
    for (const edit of [
      (t: string) => t.replace('Алматыда', 'Астанада'),
      (t: string) => t.replace('қала', 'кала'),
      (t: string) => t.replace('.', '!'),
      (t: string) => ' ' + t,
      (t: string) => t.replace(KK_NOTICE, 'Адам жазған'),
    ]) {
      const report = await verifyText(edit(stamped))
      expect(report.status).toBe('invalid')
      expect(report.messages.map((m) => m.rule)).toContain('binding.mismatch')
    }
  })

  it('text appended after the label makes it invalid', async () => {
    expect((await verifyText(stamped + ' P.S.')).status).toBe('invalid')
  })

  it('removing only the invisible part leaves "unlabelled" with the visible notice still reported', async () => {
    const report = await verifyText(withoutWrappers(stamped))
    expect(report.status).toBe('unlabelled')
    expect(report.aiMarked).toBe(true)
    expect(report.markers).toEqual([
      expect.objectContaining({ standard: 'notice', carrier: 'text:notice:start', value: expect.objectContaining({ langs: ['kk', 'ru'] }) }),
    ])
  })

  it('a doubled wrapper is reported as such, never as valid', async () => {
    const wrapper = stamped.match(WRAPPER_RE)![0]
    const report = await verifyText(stamped + wrapper)
    expect(report.status).toBe('invalid')
    expect(report.messages.find((m) => m.rule === 'text.wrapper-duplicated')?.fatal).toBe(true)
    // The same text joined from two labelled copies.
    expect((await verifyText(stamped + '\n' + stamped)).status).toBe('invalid')
  })

  it('a truncated wrapper is reported as truncated, never as valid', async () => {
    const wrapper = stamped.match(WRAPPER_RE)![0]
    const body = stamped.slice(0, stamped.length - wrapper.length)
    for (const keep of [wrapper.length - 2, 200, 30, 9]) {
      const report = await verifyText(body + wrapper.slice(0, keep))
      expect(report.status).toBe('invalid')
      const undecodable = report.messages.find((m) => m.rule === 'label.undecodable')
      expect(undecodable?.reason).toMatch(/truncated/)
    }
  })

  it('a corrupt wrapper (one byte changed) is invalid', async () => {
    const wrapper = stamped.match(WRAPPER_RE)![0]
    const body = stamped.slice(0, stamped.length - wrapper.length)
    const chars = [...wrapper]
    let invalid = 0
    for (const i of [20, 40, 80, 120, chars.length - 10]) {
      const c = chars[i]!.codePointAt(0)!
      const swapped = [...chars]
      swapped[i] = String.fromCodePoint(c === 0xe01ef ? 0xe01ee : c >= 0xe0100 ? c + 1 : c === 0xfe0f ? 0xfe0e : c + 1)
      const report = await verifyText(body + swapped.join(''))
      expect(report.status).not.toBe('valid')
      if (report.status === 'invalid') invalid++
    }
    expect(invalid).toBe(5)
    // Extra selectors after the declared payload.
    const report = await verifyText(stamped + '\uFE00')
    expect(report.status).toBe('invalid')
    expect(report.messages.find((m) => m.rule === 'label.undecodable')?.reason).toMatch(/corrupt/)
  })

  it('an unknown wrapper version is invalid with a clear reason', async () => {
    const wrapper = stamped.match(WRAPPER_RE)![0]
    const chars = [...wrapper]
    chars[9] = String.fromCodePoint(0xfe02) // version byte 0x02
    const report = await verifyText(stamped.slice(0, stamped.length - wrapper.length) + chars.join(''))
    expect(report.status).toBe('invalid')
    expect(report.messages.find((m) => m.rule === 'label.undecodable')?.reason).toMatch(/unsupported wrapper version 2/)
  })

  it('a wrapper copied onto another text is invalid (binding)', async () => {
    const wrapper = stamped.match(WRAPPER_RE)![0]
    const report = await verifyText(`${NOTICE_TAG} ${KK_NOTICE} / ${RU_NOTICE}\n\nБасқа мәтін.` + wrapper)
    expect(report.status).toBe('invalid')
    expect(report.binding?.valid).toBe(false)
  })

  it('keeps the label valid when another tool appends its own invisible run', async () => {
    const other = encodeTextWrapper(enc.encode('hello'), enc.encode('OTHERTXT'))
    const report = await verifyText(stamped + other)
    expect(report.status).toBe('valid')
    expect(report.messages.map((m) => m.rule)).toContain('text.selector-runs')
  })
})

describe('plain text: normalisation, BOM, notice placement, restamping', () => {
  it('binds to NFC: an NFD copy of the same text still verifies, a different letter does not', async () => {
    const nfd = 'Café, Ёлка, Әсем, Oʻzbek, 한국어'.normalize('NFD')
    const { text } = await stampText(nfd, stampOptions(creds))
    expect(withoutWrappers(text).endsWith(nfd)).toBe(true)
    expect((await verifyText(text)).status).toBe('valid')
    expect((await verifyText(text.normalize('NFC'))).status).toBe('valid')
    expect((await verifyText(text.replace('Cafe\u0301', 'Cafe\u0300'))).status).toBe('invalid')
  })

  it('keeps a byte-order mark in front and outside the binding', async () => {
    const input = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('Сәлем')])
    const adapter = createTextAdapter()
    const result = await stampWith(adapter, input, plainTextFormat, stampOptions(creds))
    expect([...result.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect((await verifyWith(adapter, result.bytes, plainTextFormat)).status).toBe('valid')
    expect((await verifyWith(adapter, result.bytes.subarray(3), plainTextFormat)).status).toBe('valid')
  })

  it('puts the notice at the end, or at both ends, when asked', async () => {
    const end = await stampText('Мәтін.', stampOptions(creds, { notice: { placement: 'end' } }))
    expect(withoutWrappers(end.text)).toBe(`Мәтін.\n\n${NOTICE_TAG} ${KK_NOTICE} / ${RU_NOTICE}\n`)
    expect(end.label.notice).toEqual({ method: 'text', langs: ['kk', 'ru'], placement: 'end' })
    const both = await stampText('Мәтін.\n', stampOptions(creds, { notice: { placement: 'both' } }))
    expect(withoutWrappers(both.text)).toBe(`${NOTICE_TAG} ${KK_NOTICE} / ${RU_NOTICE}\n\nМәтін.\n\n${NOTICE_TAG} ${KK_NOTICE} / ${RU_NOTICE}\n`)
    const report = await verifyText(both.text)
    expect(report.status).toBe('valid')
    expect(report.markers.filter((m) => m.standard === 'notice').map((m) => m.carrier)).toEqual(['text:notice:start', 'text:notice:end'])
  })

  it('stamps without a notice when it is turned off; the kz profile then fails on the notice', async () => {
    const { text, label } = await stampText('Мәтін.', stampOptions(creds, { notice: { visible: false } }))
    expect(withoutWrappers(text)).toBe('Мәтін.')
    expect(label.notice).toBeUndefined()
    const report = await verifyText(text)
    expect(report.status).toBe('valid')
    expect(report.profiles.kz?.failures).toContain('notice: expected a perceivable notice')
  })

  it('writes the cn wording with 人工智能 and 生成, and the uz wording in Latin script', async () => {
    const cn = await stampText('文本', stampOptions(creds, { profiles: ['cn'] }))
    expect(withoutWrappers(cn.text)).toBe(`${NOTICE_TAG} 本内容由人工智能生成\n\n文本`)
    const uz = await stampText('Matn', stampOptions(creds, { profiles: ['uz'] }))
    expect(withoutWrappers(uz.text).split('\n')[0]).toBe(`${NOTICE_TAG} Ushbu kontent sunʼiy intellekt tomonidan yaratilgan / ${RU_NOTICE}`)
    expect((await verifyText(uz.text)).profiles.uz?.pass).toBe(true)
  })

  it('a custom notice text is recorded in the label and its languages are found again', async () => {
    const { text, label } = await stampText('Body', stampOptions(creds, { notice: { text: { kk: 'ЖИ көмегімен жазылды', ru: 'Написано с помощью ИИ' } } }))
    expect(label.notice?.text).toBe('ЖИ көмегімен жазылды / Написано с помощью ИИ')
    const report = await verifyText(text)
    expect(report.markers.find((m) => m.standard === 'notice')?.value).toMatchObject({ langs: ['kk', 'ru'] })
    expect(report.profiles.kz?.pass).toBe(true)
  })

  it('restamping replaces the notice and the wrapper, never duplicates them', async () => {
    // (A text that lost its end notice keeps a final line break: "X" and "X\n" stamp alike there.)
    const first = await stampText(SAMPLES.russian + '\n', stampOptions(creds))
    const second = await stampText(first.text, stampOptions(creds, { notice: { placement: 'both' } }))
    const third = await stampText(second.text, stampOptions(creds))
    expect(withoutWrappers(third.text)).toBe(withoutWrappers(first.text))
    expect(third.text.match(WRAPPER_RE)).toHaveLength(1)
    expect(third.messages.map((m) => m.rule)).toContain('text.label-replaced')
    expect((await verifyText(third.text)).label?.id).toBe(third.label.id)
  })

  it('finds a built-in notice wording written without the tag', async () => {
    const report = await verifyText(`${RU_NOTICE}.\n\nТекст.`)
    expect(report.status).toBe('unlabelled')
    expect(report.markers).toEqual([expect.objectContaining({ standard: 'notice', carrier: 'text:notice:start', value: expect.objectContaining({ form: 'builtin', langs: ['ru'] }) })])
  })
})

describe('plain text: bad input', () => {
  const adapter = createTextAdapter()

  it('rejects invalid UTF-8 with MalformedInputError naming the offset, and never changes the input', async () => {
    const input = new Uint8Array([...enc.encode('Сәлем '), 0xc3, 0x28, ...enc.encode(' әлем')])
    const copy = input.slice()
    const error = await stampWith(adapter, input, plainTextFormat, stampOptions(creds)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MalformedInputError)
    expect((error as MalformedInputError).code).toBe('TANBA_MALFORMED_INPUT')
    expect((error as Error).message).toBe('Expected UTF-8 text but found an invalid byte sequence at byte offset 11 (0xC3 0x28 0x20 0xD3)')
    expect(input).toEqual(copy)
    const report = await verifyWith(adapter, input, plainTextFormat)
    expect(report.status).toBe('error')
    expect(report.error?.code).toBe('TANBA_MALFORMED_INPUT')
  })

  it('rejects overlong forms, encoded surrogates and UTF-16 text', async () => {
    for (const bytes of [
      [0xc0, 0xaf], // overlong "/"
      [0xed, 0xa0, 0x80], // a surrogate encoded as UTF-8 (CESU-8)
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe2, 0x82], // truncated sequence at the end
    ]) {
      await expect(stampWith(adapter, new Uint8Array([0x41, ...bytes]), plainTextFormat, stampOptions(creds))).rejects.toThrow(/byte offset 1\b/)
    }
    const utf16 = new Uint8Array([0xff, 0xfe, 0x41, 0x00])
    await expect(stampWith(adapter, utf16, plainTextFormat, stampOptions(creds))).rejects.toThrow(/UTF-16 byte-order mark/)
  })

  it('registers plain text without a sniffer (no magic bytes), so a binary file is never detected as text', () => {
    expect(textEntry.formats.map((f) => f.id)).toEqual(['text', 'markdown', 'html'])
    expect(plainTextFormat.sniff).toBeUndefined()
  })

  it('reads the wrapper magic as "TANBATXT"', () => {
    expect(dec.decode(TANBA_TEXT_MAGIC)).toBe('TANBATXT')
  })
})

describe('large texts are hashed piece by piece', () => {
  it('equals the digest of the whole normalised text, for NFD, CR LF and marks across the piece size', async () => {
    const { sha256Base64Url } = await import('@tanba/core')
    const { digestText: digest } = await import('../src/essence.js')
    // ~400 K UTF-16 units: NFD letters, CR LF pairs and runs of combining marks everywhere, so
    // pieces (64 K units) must be cut only where NFC and CR LF cannot join.
    const unit = 'Ёжик в тумане — café ά\u0301\u0323\u0307 한국어 e\u0301\r\n\r\n'.normalize('NFD')
    const text = unit.repeat(Math.ceil(400_000 / unit.length)) + 'x\u0301'.repeat(70_000) + '\r\n'
    const expected = await sha256Base64Url(new TextEncoder().encode(text.replace(/\r\n$/, '').replace(/\r\n/g, '\n').normalize('NFC')))
    expect(digest(text)).toBe(expected)
    expect(digest(text, new TextEncoder().encode(text))).toBe(expected)
  })
})
