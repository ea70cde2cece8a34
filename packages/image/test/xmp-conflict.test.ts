// A second, forged XMP packet after the genuine one (issue 13 §2): readers differ on which packet
// they take (ExifTool shows both with -a), so packets that disagree on a label or an AI field
// are reported as fatal, whatever the format; identical duplicates are a non-fatal note.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { concatBytes, stampWith, utf8, verifyWith, type StampOptions } from '@tanba/core'
import { sniffImageFormat } from '../src/index.js'
import { appSegment, parseJpeg, XMP_ID } from '../src/jpeg/jpeg.js'
import { iTXtChunk, parsePng, XMP_KEYWORD } from '../src/png/png.js'
import { fixture, limits, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()
const options: StampOptions = { signer: creds.signer, system: { name: 'Conflict Test' }, owner: { name: 'Tanba Tests' }, c2pa: false, notice: { visible: false } }

const forged = (dst: string) => `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/${dst}</Iptc4xmpExt:DigitalSourceType>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>`

/** Appends a second XMP packet after the genuine one, in the format's own XMP carrier. */
function addPacket(bytes: Uint8Array, ext: string, packet: string): Uint8Array {
  if (ext === 'jpg') {
    const j = parseJpeg(bytes, limits)
    const sos = j.segments.find((s) => s.marker === 0xda)!
    return concatBytes(bytes.subarray(0, sos.offset), appSegment(0xe1, concatBytes(utf8(XMP_ID), utf8(packet))), bytes.subarray(sos.offset))
  }
  const p = parsePng(bytes, limits)
  const iend = p.chunks.find((c) => c.type === 'IEND')!
  return concatBytes(bytes.subarray(0, iend.offset), iTXtChunk(XMP_KEYWORD, packet), bytes.subarray(iend.offset))
}

function exiftoolSees(bytes: Uint8Array, ext: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tanba-xmp2-'))
  try {
    const file = join(dir, `f.${ext}`)
    writeFileSync(file, bytes)
    return execFileSync('exiftool', ['-a', '-s3', '-XMP-iptcExt:DigitalSourceType', file]).toString().trim().split('\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('a second XMP packet', () => {
  for (const [name, ext] of [['photo.jpg', 'jpg'], ['photo.png', 'png']] as const) {
    it(`${name}: a forged packet saying "digital capture" after the genuine one is fatal`, async () => {
      const input = fixture(name)
      const format = sniffImageFormat(input)!
      const stamped = (await stampWith(adapter, input, format, options)).bytes
      const attacked = addPacket(stamped, ext, forged('digitalCapture'))
      // ExifTool reads both packets: what a reader reports depends on which one it takes.
      expect(exiftoolSees(attacked, ext)).toEqual(['http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia', 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture'])
      const report = await verifyWith(adapter, attacked, format, { trust: creds.trust })
      expect(report.status).toBe('invalid')
      const conflict = report.messages.find((m) => m.rule === 'xmp.conflict')
      expect(conflict).toMatchObject({ fatal: true, carrier: 'xmp#2' })
      expect(conflict!.reason).toMatch(/digitalSourceType/)
    })

    it(`${name}: a forged Tanba label in a second packet is fatal`, async () => {
      const input = fixture(name)
      const format = sniffImageFormat(input)!
      const stamped = (await stampWith(adapter, input, format, options)).bytes
      const other = (await stampWith(adapter, input, format, { ...options, system: { name: 'Someone Else' } })).bytes
      const otherPacket = (ext === 'jpg' ? parseJpeg(other, limits) : parsePng(other, limits)).xmp[0]!.text
      const report = await verifyWith(adapter, addPacket(stamped, ext, otherPacket), format, { trust: creds.trust })
      expect(report.status).toBe('invalid')
      expect(report.messages.find((m) => m.rule === 'xmp.conflict')?.reason).toMatch(/tanbaLabel/)
    })

    it(`${name}: an identical second packet is only a note`, async () => {
      const input = fixture(name)
      const format = sniffImageFormat(input)!
      const stamped = (await stampWith(adapter, input, format, options)).bytes
      const packet = (ext === 'jpg' ? parseJpeg(stamped, limits) : parsePng(stamped, limits)).xmp[0]!.text
      const report = await verifyWith(adapter, addPacket(stamped, ext, packet), format, { trust: creds.trust })
      expect(report.status).toBe('valid')
      expect(report.messages.find((m) => m.rule === 'xmp.duplicate')).toMatchObject({ fatal: false })
    })
  }
})
