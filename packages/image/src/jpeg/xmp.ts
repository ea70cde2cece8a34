// XMP in JPEG: one APP1 segment holds at most 65,504 bytes of packet; larger packets are split into
// a standard packet and "extended XMP" segments (XMP Specification Part 3, 1.1.3.1).
import { createHash } from 'node:crypto'
import { DOMParser, XMLSerializer, type Element } from '@xmldom/xmldom'
import { checkXmlDepth, concatBytes, MalformedInputError, utf8, writeXmp, XMP_NS, type Limits, type XmpAiFields } from '@tanba/core'
import type { XmpPacket } from '../container.js'
import { appSegment, isXmpSegment, MAX_SEGMENT_PAYLOAD, replaceJpegXmp, startsWithAscii, XMP_EXT_ID, XMP_ID, type JpegFile } from './jpeg.js'

const XMP_NOTE = 'http://ns.adobe.com/xmp/note/'
/** Room for the standard packet in one APP1 segment. */
export const MAX_STANDARD_XMP = MAX_SEGMENT_PAYLOAD - XMP_ID.length
const EXT_CHUNK = MAX_SEGMENT_PAYLOAD - XMP_EXT_ID.length - 40
/** Namespaces Tanba writes: kept in the standard packet, which every reader sees. */
const OWN_NAMESPACES = new Set<string>([XMP_NS.Iptc4xmpExt, XMP_NS.TC260, XMP_NS.tanba])

/**
 * Writes merged XMP into a JPEG without touching any other byte. `source` holds the packets to
 * merge into: the file's own, or the original's when the file is a new encoding of it.
 */
export function writeJpegXmp(file: JpegFile, fields: XmpAiFields, limits: Limits, source: XmpPacket[] = file.xmp): Uint8Array {
  const main = source.find((p) => p.carrier === 'xmp')?.text
  const extendedText = source.find((p) => p.carrier === 'xmp:extended')?.text
  const merged = writeXmp(main, fields, { maxBytes: limits.maxMetadataBytes, maxDepth: limits.maxDepth })
  if (utf8(merged).length <= MAX_STANDARD_XMP) {
    // The extended part (if any) is unchanged: keep its segments as they are, or write them again.
    const own = file.segments.filter((s) => isXmpSegment(file.bytes, s) && startsWithAscii(file.bytes, s.dataOffset, XMP_EXT_ID)).map((s) => file.bytes.subarray(s.offset, s.end))
    const ext = extendedText === undefined ? [] : source === file.xmp ? own : extendedSegments(extendedText)
    return replaceJpegXmp(file, [xmpSegment(merged), ...ext])
  }
  const { standard, extended } = splitXmp(merged, extendedText, limits)
  return replaceJpegXmp(file, [xmpSegment(standard), ...extendedSegments(extended)])
}

function xmpSegment(packet: string): Uint8Array {
  return appSegment(0xe1, concatBytes(utf8(XMP_ID), utf8(packet)))
}

/** The extended packet in APP1 chunks: GUID (MD5 of the packet, upper-case hex), full length, offset, data. */
export function extendedSegments(extended: string): Uint8Array[] {
  const data = utf8(extended)
  const guid = createHash('md5').update(data).digest('hex').toUpperCase()
  const out: Uint8Array[] = []
  for (let at = 0; at < data.length; at += EXT_CHUNK) {
    const head = new Uint8Array(40)
    head.set(utf8(guid), 0)
    const view = new DataView(head.buffer)
    view.setUint32(32, data.length)
    view.setUint32(36, at)
    out.push(appSegment(0xe1, concatBytes(utf8(XMP_EXT_ID), head, data.subarray(at, at + EXT_CHUNK))))
  }
  return out
}

/**
 * Splits a packet that is too large for one segment: the largest foreign properties move to the
 * extended packet (merged with the existing one) until the standard packet fits; Tanba's own
 * properties move last, only if they alone do not fit.
 */
export function splitXmp(packet: string, existingExtended: string | undefined, limits: Limits): { standard: string; extended: string } {
  const parse = (xml: string) => {
    checkXmlDepth(xml, limits.maxDepth)
    try {
      return new DOMParser({ onError: (level, msg) => { if (level !== 'warning') throw new Error(msg) } }).parseFromString(xml.replace(/<\?xpacket[^?]*\?>/g, '').trim(), 'text/xml')
    } catch (cause) {
      throw new MalformedInputError(`The XMP packet does not parse: ${(cause as Error).message}`, { cause })
    }
  }
  const doc = parse(packet)
  const ext = parse(existingExtended ?? `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${XMP_NS.rdf}"><rdf:Description rdf:about=""/></rdf:RDF></x:xmpmeta>`)
  const descs = Array.from(doc.getElementsByTagNameNS(XMP_NS.rdf, 'Description'))
  const mainDesc = descs[0]
  const extDesc = Array.from(ext.getElementsByTagNameNS(XMP_NS.rdf, 'Description'))[0]
  if (!mainDesc || !extDesc) throw new MalformedInputError('Expected an rdf:Description element in the XMP packet')
  const serializer = new XMLSerializer()
  const props: { el: Element; size: number; own: boolean }[] = []
  for (const d of descs) {
    for (const child of Array.from(d.childNodes)) {
      const el = child as Element
      if (el.nodeType !== 1) continue
      if (el.namespaceURI === XMP_NOTE && el.localName === 'HasExtendedXMP') {
        d.removeChild(el)
        continue
      }
      props.push({ el, size: serializer.serializeToString(el).length, own: OWN_NAMESPACES.has(el.namespaceURI ?? '') })
    }
  }
  // Foreign properties first, largest first; then Tanba's, largest first.
  props.sort((a, b) => Number(a.own) - Number(b.own) || b.size - a.size)
  const wrap = (xml: string) => `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n${xml}\n<?xpacket end="w"?>`
  const size = () => utf8(wrap(serializer.serializeToString(doc))).length + 120
  for (const p of props) {
    if (size() <= MAX_STANDARD_XMP) break
    const ns = p.el.namespaceURI
    const prefix = p.el.prefix
    if (ns && prefix && !extDesc.lookupNamespaceURI(prefix)) extDesc.setAttributeNS(XMP_NS.xmlns, `xmlns:${prefix}`, ns)
    for (const child of Array.from(extDesc.childNodes)) {
      const el = child as Element
      if (el.nodeType === 1 && el.namespaceURI === ns && el.localName === p.el.localName) extDesc.removeChild(el)
    }
    extDesc.appendChild(ext.importNode(p.el, true))
    p.el.parentNode?.removeChild(p.el)
  }
  const extended = serializer.serializeToString(ext)
  const guid = createHash('md5').update(utf8(extended)).digest('hex').toUpperCase()
  if (!mainDesc.lookupNamespaceURI('xmpNote')) mainDesc.setAttributeNS(XMP_NS.xmlns, 'xmlns:xmpNote', XMP_NOTE)
  mainDesc.setAttributeNS(XMP_NOTE, 'xmpNote:HasExtendedXMP', guid)
  const standard = wrap(serializer.serializeToString(doc))
  if (utf8(standard).length > MAX_STANDARD_XMP) throw new MalformedInputError('The XMP packet cannot be split to fit a JPEG segment (its attributes alone exceed 64 KiB)')
  return { standard, extended }
}
