import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, IPTC_DST, labelFromCarrier, labelToXmpFields, readXmpCarrier, serializeLabel, signLabel, tc260CarrierMarker, tc260Json, toTc260, writeXmp, type CarrierFindings } from '../src/index.js'
import { createTestCredentials } from '../src/testing.js'
import { sampleUnsigned } from './helpers.js'

const empty = (): CarrierFindings => ({ markers: [], labels: [], messages: [], fields: {} })

describe('carrier findings', () => {
  it('reads the IPTC, TC260 and Tanba fields of an XMP packet as markers, a label and fields', async () => {
    const creds = await createTestCredentials()
    const label = await signLabel(sampleUnsigned(), creds.signer)
    const found = empty()
    readXmpCarrier('mp4:uuid:xmp', writeXmp(undefined, labelToXmpFields(label)), DEFAULT_LIMITS, found)
    expect(found.markers.map((m) => [m.standard, m.carrier, m.aiMarked])).toEqual([
      ['iptc', 'mp4:uuid:xmp', true],
      ['tc260', 'mp4:uuid:xmp#TC260:AIGC', true],
      ['tanba', 'mp4:uuid:xmp#tanba:Label', true],
    ])
    expect(found.labels).toEqual([{ carrier: 'mp4:uuid:xmp#tanba:Label', label }])
    expect(found.fields.digitalSourceType).toBe(IPTC_DST.trainedAlgorithmicMedia)
    expect(found.messages).toEqual([])
  })

  it('turns an unreadable packet, a non-TC260 value and a broken label into notes, not throws', () => {
    const found = empty()
    readXmpCarrier('xmp', '<x:xmpmeta><rdf:RDF', DEFAULT_LIMITS, found)
    expect(found.messages.map((m) => [m.rule, m.fatal])).toEqual([['xmp.unreadable', false]])
    tc260CarrierMarker('id3:TXXX:AIGC', 'not json', found)
    expect(found.markers).toEqual([expect.objectContaining({ standard: 'tc260', valid: false, aiMarked: false })])
    expect(found.messages[1]!.rule).toBe('tc260.unreadable')
    const broken = labelFromCarrier('mp4:ilst:label', '{"tanba":1')
    expect(broken.label).toBeUndefined()
    expect(broken.error?.code).toBe('TANBA_INVALID_LABEL')
  })

  it('reads a TC260 value and a label given as text', async () => {
    const creds = await createTestCredentials()
    const label = await signLabel(sampleUnsigned(), creds.signer)
    const found = empty()
    tc260CarrierMarker('id3:TXXX:AIGC', tc260Json(toTc260(label)), found)
    expect(found.markers[0]).toMatchObject({ standard: 'tc260', aiMarked: true, valid: null })
    expect(labelFromCarrier('c', serializeLabel(label))).toEqual({ carrier: 'c', label })
  })
})
