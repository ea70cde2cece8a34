import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { labelToXmpFields, MalformedInputError, readXmp, signLabel, stripXmpAiFields, TooLargeError, writeXmp, IPTC_DST, parseTc260 } from '../src/index.js'
import { createTestCredentials } from '../src/testing.js'
import { sampleUnsigned } from './helpers.js'

// A packet as Photoshop writes it: attribute-form simple properties, element-form arrays.
const PHOTOSHOP = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmp:CreatorTool="Adobe Photoshop 25.0"
    Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Алматы &amp; тау</rdf:li></rdf:Alt></dc:title>
   <dc:subject><rdf:Bag><rdf:li>mountains</rdf:li><rdf:li>snow</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`

describe('XMP', () => {
  it('merges the label fields into an existing packet without dropping other properties', async () => {
    const creds = await createTestCredentials()
    const label = await signLabel(sampleUnsigned(), creds.signer)
    const out = writeXmp(PHOTOSHOP, labelToXmpFields(label))
    expect(out.startsWith('<?xpacket begin="\uFEFF"')).toBe(true)
    expect(out).toContain('xmp:CreatorTool="Adobe Photoshop 25.0"')
    expect(out).toContain('<rdf:li xml:lang="x-default">Алматы &amp; тау</rdf:li>')
    expect(out).toContain('<rdf:li>snow</rdf:li>')
    const read = readXmp(out)
    // The old digitalCapture value is replaced, not duplicated.
    expect(read.digitalSourceType).toBe(IPTC_DST.trainedAlgorithmicMedia)
    expect(out.match(/DigitalSourceType/g)).toHaveLength(2) // open + close tag
    expect(read.aiSystemUsed).toBe('Demo Studio (demo-diffusion-3)')
    expect(read.aiSystemVersionUsed).toBe('2.1')
    expect(parseTc260(read.tc260!)).toMatchObject({ Label: '1', ProduceID: label.id, ContentProducer: '123456789012' })
    expect(JSON.parse(read.tanbaLabel!)).toEqual(label)
  })

  it('writes a fresh packet when there is none, and strips its own fields again', async () => {
    const out = writeXmp(undefined, { digitalSourceType: IPTC_DST.trainedAlgorithmicMedia, tc260: '{"Label":"1"}' })
    expect(readXmp(out)).toEqual({ digitalSourceType: IPTC_DST.trainedAlgorithmicMedia, tc260: '{"Label":"1"}' })
    expect(readXmp(stripXmpAiFields(out))).toEqual({})
    expect(readXmp(stripXmpAiFields(PHOTOSHOP))).toEqual({})
    expect(stripXmpAiFields(PHOTOSHOP)).toContain('Adobe Photoshop 25.0')
  })

  it('does not grow when the same fields are written again', async () => {
    const creds = await createTestCredentials()
    const fields = labelToXmpFields(await signLabel(sampleUnsigned(), creds.signer))
    const once = writeXmp(PHOTOSHOP, fields)
    const twice = writeXmp(once, fields)
    expect(writeXmp(twice, fields)).toBe(twice)
    expect(twice.length).toBe(once.length)
  })

  it('reads attribute-form values and rdf:Alt values', () => {
    expect(readXmp(PHOTOSHOP).digitalSourceType).toBe('http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture')
    const alt = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"><Iptc4xmpExt:AIPromptInformation><rdf:Alt><rdf:li xml:lang="en">a cat</rdf:li><rdf:li xml:lang="x-default">a dog</rdf:li></rdf:Alt></Iptc4xmpExt:AIPromptInformation></rdf:Description></rdf:RDF></x:xmpmeta>`
    expect(readXmp(alt).aiPromptInformation).toBe('a dog')
  })

  it('round-trips any text value, XML specials and all (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ maxLength: 50 }), (prompt, system) => {
        // XML 1.0 cannot carry most C0 controls; the writer's caller gets them back as-is or not at all.
        fc.pre(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(prompt + system) && !/[\ud800-\udfff]/.test(prompt + system))
        const out = writeXmp(PHOTOSHOP, { aiPromptInformation: prompt, aiSystemUsed: system })
        const read = readXmp(out)
        expect(read.aiPromptInformation ?? '').toBe(prompt)
        expect(read.aiSystemUsed ?? '').toBe(system)
        expect(readXmp(writeXmp(out, { aiSystemUsed: 'x' })).aiPromptInformation ?? '').toBe(prompt)
      }),
      { numRuns: 200 },
    )
  })

  it('keeps line ends and separators a parser would normalise (CR, NEL, U+2028, U+2029): a label JSON copy must survive', () => {
    for (const text of ['a\r\nb', 'a\rb', 'a\u0085b', '{"p":"x\u2028y\u2029z"}']) {
      const once = writeXmp(null, { tanbaLabel: text })
      expect(readXmp(once).tanbaLabel).toBe(text)
      expect(readXmp(writeXmp(once, { tc260: '{}' })).tanbaLabel).toBe(text)
    }
    // Another tool may write them raw (XML 1.0 allows that): they are still read as they are.
    const raw = writeXmp(null, { tanbaLabel: 'x' }).replace('>x<', '>a\u2028b\u0085c\u2029d<')
    expect(readXmp(raw).tanbaLabel).toBe('a\u2028b\u0085c\u2029d')
    // Characters XML 1.0 cannot carry at all become U+FFFD instead of an ill-formed packet.
    expect(readXmp(writeXmp(null, { aiSystemUsed: 'a\u0001b\ud800c' })).aiSystemUsed).toBe('a\ufffdb\ufffdc')
  })

  it('rejects malformed packets, DOCTYPEs and oversized packets with typed errors', () => {
    expect(() => readXmp('<x:xmpmeta><rdf:RDF')).toThrow(MalformedInputError)
    expect(() => readXmp('<!DOCTYPE x [<!ENTITY a "aaaa">]><x/>')).toThrow(/DOCTYPE/)
    expect(() => writeXmp('<root/>', { tc260: '{}' })).toThrow(/rdf:RDF/)
    expect(() => readXmp('x'.repeat(100), { maxBytes: 10 })).toThrow(TooLargeError)
  })
})
