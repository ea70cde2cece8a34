import { parseDictionary, Token } from 'structured-headers'
import { describe, expect, it } from 'vitest'
import { isAiDigitalSourceType, parseTc260, signLabel, tc260Json, TC260_FIELDS, toAiDisclosureHeader, toHtmlMetaValue, toIptc, toTc260, IPTC_DST } from '../src/index.js'
import { createTestCredentials } from '../src/testing.js'
import { sampleUnsigned } from './helpers.js'

describe('derivations from a label', () => {
  it('makes the TC260 object with the seven fields in order, ASCII only', async () => {
    const creds = await createTestCredentials()
    const label = await signLabel(sampleUnsigned({ owner: { name: 'ТОО «Ақ Жол»' } }), creds.signer)
    const tc = toTc260(label)
    expect(Object.keys(JSON.parse(tc260Json(tc)))).toEqual([...TC260_FIELDS])
    expect(tc).toMatchObject({ Label: '1', ProduceID: label.id, PropagateID: label.id, ReservedCode1: label.binding.digest, ReservedCode2: '' })
    expect(tc.ContentProducer).toMatch(/^[\x21-\x7e]*$/)
    const withDistributor = toTc260({ ...label, owner: { ...label.owner, id: '001191110102MAD55U9H0F10002' }, distributor: { name: 'News KZ', id: 'NEWSKZ-01' } })
    expect(withDistributor).toMatchObject({ ContentProducer: '001191110102MAD55U9H0F10002', ContentPropagator: 'NEWSKZ-01' })
  })

  it('parses bare and wrapped TC260 objects, and rejects other JSON', () => {
    const bare = '{"Label":"1","ContentProducer":"p","ProduceID":"i","ReservedCode1":"","ContentPropagator":"p","PropagateID":"i","ReservedCode2":""}'
    expect(parseTc260(bare)?.ProduceID).toBe('i')
    expect(parseTc260(`{"AIGC":${bare}}`)?.ContentProducer).toBe('p')
    expect(parseTc260({ AIGC: JSON.parse(bare) })?.Label).toBe('1')
    expect(parseTc260('{"AIGC":{"Label":3}}')?.Label).toBe('3')
    expect(parseTc260('{"foo":1}')).toBeNull()
    expect(parseTc260('not json')).toBeNull()
  })

  it('maps origin to IPTC digital source types and recognises AI terms', async () => {
    const creds = await createTestCredentials()
    expect(toIptc(await signLabel(sampleUnsigned(), creds.signer)).digitalSourceType).toBe(IPTC_DST.trainedAlgorithmicMedia)
    expect(toIptc(await signLabel(sampleUnsigned({ origin: 'modified' }), creds.signer)).digitalSourceType).toBe(IPTC_DST.compositeWithTrainedAlgorithmicMedia)
    expect(isAiDigitalSourceType('https://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic')).toBe(true)
    expect(isAiDigitalSourceType('trainedAlgorithmicMedia')).toBe(true)
    expect(isAiDigitalSourceType(IPTC_DST_BASE_DIGITAL_CAPTURE)).toBe(false)
    expect(isAiDigitalSourceType(undefined)).toBe(false)
  })

  it('produces an RFC 9651 AI-Disclosure dictionary and the HTML meta value', async () => {
    const creds = await createTestCredentials()
    const label = await signLabel(sampleUnsigned({ owner: { name: 'Ақ "Жол" LLP' } }), creds.signer)
    const header = toAiDisclosureHeader(label)
    const dict = parseDictionary(header)
    expect((dict.get('mode')![0] as Token).toString()).toBe('ai-originated')
    expect(dict.get('model')![0]).toBe('demo-diffusion-3')
    // Non-ASCII text travels as an RFC 9651 Display String, so nothing is lost.
    expect(header).toContain('provider=%"')
    expect(String(dict.get('provider')![0])).toBe('Ақ "Жол" LLP')
    expect(dict.get('date')![0]).toBe(label.created)
    expect(toHtmlMetaValue(label)).toBe('ai-generated')
    expect(toHtmlMetaValue({ ...label, origin: 'modified' })).toBe('ai-assisted')
  })
})

const IPTC_DST_BASE_DIGITAL_CAPTURE = 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture'
