import { fromHex, isoBox, MalformedInputError, TooLargeError, utf8, type Limits } from '@tanba/core'
import { child, children, parseMoovTree, payload, view, type Box } from './boxes.js'
import { AIGC_KEY, LABEL_KEY, mdtaKeys, metaHandler, XMP_UUID } from './meta.js'
import type { Mp4Asset } from './parse.js'

/** The carriers the writer puts into a file; `xmp` merges into the file's existing packet, if any. */
export interface CarrierPayload {
  tc260: string
  label: string
  xmp: (existing: string | undefined) => string
}

export interface WriteResult {
  /** The new file as pieces in order: views of the input's untouched boxes (the media data) and the new moov and XMP box. */
  parts: Uint8Array[]
  carriers: string[]
}

/** Keys Tanba owns in an mdta meta box; an earlier stamp's values are replaced. */
const OWN_KEYS = new Set([AIGC_KEY, LABEL_KEY])

/**
 * Writes TC260 `AIGC` and the Tanba label as mdta keys (what `ffmpeg -movflags use_metadata_tags`
 * writes and keeps on a remux) and XMP in Adobe's uuid box. Every other box is copied byte for
 * byte; chunk offsets are moved with the boxes they point into.
 */
export function writeCarriers(asset: Mp4Asset, carriers: CarrierPayload, existingXmp: string | undefined, limits: Limits): WriteResult {
  const b = asset.moov
  const entries: [string, string][] = [
    [AIGC_KEY, carriers.tc260],
    [LABEL_KEY, carriers.label],
  ]
  const udta = child(asset.tree, 'udta')
  const udtaMetas = children(udta, 'meta')
  const udtaMdta = udtaMetas.find((m) => metaHandler(b, m) === 'mdta')
  const moovMdta = children(asset.tree, 'meta').find((m) => metaHandler(b, m) === 'mdta')
  let where: string
  let newMoov: Uint8Array
  if (udtaMdta || (!udtaMetas.length && !moovMdta)) {
    // moov/udta/meta (mdta): where ffmpeg writes and reads it. Created when there is none.
    const meta = udtaMdta ? rebuildMdta(b, udtaMdta, entries) : newMdta(entries, true)
    const newUdta = udta ? rebuild(b, udta, udtaMdta ? new Map([[udtaMdta, meta]]) : new Map(), udtaMdta ? [] : [meta]) : isoBox('udta', meta)
    newMoov = rebuild(b, asset.tree, udta ? new Map([[udta, newUdta]]) : new Map(), udta ? [] : [newUdta])
    where = 'mp4:udta:meta:mdta'
  } else {
    // udta already holds an iTunes (mdir) meta box: the keys go into a QuickTime moov/meta beside it.
    const meta = moovMdta ? rebuildMdta(b, moovMdta, entries) : newMdta(entries, false)
    newMoov = rebuild(b, asset.tree, moovMdta ? new Map([[moovMdta, meta]]) : new Map(), moovMdta ? [] : [meta])
    where = 'mp4:meta:mdta'
  }
  const xmpBox = isoBox('uuid', fromHex(XMP_UUID), utf8(carriers.xmp(existingXmp)))
  const oldXmp = asset.top.find((x) => x.type === 'uuid' && x.uuid === XMP_UUID)
  const pieces: { src: Box | null; bytes: Uint8Array; moov?: true }[] = []
  for (const box of asset.top) {
    if (box === asset.moovBox) {
      pieces.push({ src: null, bytes: newMoov, moov: true })
      if (!oldXmp) pieces.push({ src: null, bytes: xmpBox })
    } else if (box === oldXmp) pieces.push({ src: null, bytes: xmpBox })
    else if (box.type === 'uuid' && box.uuid === XMP_UUID) continue // a second XMP box: merged into the first
    else pieces.push({ src: box, bytes: asset.src.read(box.offset, box.size) })
  }
  const moves: { from: number; to: number; delta: number }[] = []
  let pos = 0
  let moovAt = -1
  for (const p of pieces) {
    if (p.src) moves.push({ from: p.src.offset, to: p.src.end, delta: pos - p.src.offset })
    if (p.moov) moovAt = pos
    pos += p.bytes.length
  }
  if (moovAt < 0) throw new MalformedInputError('The moov box was lost while writing')
  patchChunkOffsets(newMoov, moves, asset.moovBox, limits)
  return { parts: pieces.map((p) => p.bytes), carriers: [`${where}:${AIGC_KEY}`, `${where}:${LABEL_KEY}`, 'xmp:mp4:uuid'] }
}

/** A container rebuilt with some children replaced and others appended; its prefix and any trailing bytes are kept. */
function rebuild(b: Uint8Array, node: Box, replace: Map<Box, Uint8Array>, append: Uint8Array[]): Uint8Array {
  const kids = node.children ?? []
  const start = node.childOffset ?? node.dataOffset
  const lastEnd = kids.length ? kids[kids.length - 1]!.end : start
  const body = kids.map((k) => replace.get(k) ?? b.subarray(k.offset, k.end))
  // A QuickTime udta terminator (four zero bytes) stays last.
  return isoBox(node.type, b.subarray(node.dataOffset, start), ...body, ...append, b.subarray(lastEnd, node.end))
}

function keysBox(names: string[]): Uint8Array {
  const head = new Uint8Array(8)
  new DataView(head.buffer).setUint32(4, names.length)
  return isoBox('keys', head, ...names.map((n) => isoBox('mdta', utf8(n))))
}

function item(index: number, body: Uint8Array[]): Uint8Array {
  const out = isoBox('    ', ...body)
  new DataView(out.buffer).setUint32(4, index)
  return out
}

function dataBox(value: string): Uint8Array {
  // Type 1 (UTF-8 text), locale 0.
  return isoBox('data', new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0]), utf8(value))
}

/**
 * A new mdta meta box. In udta it is an ISO FullBox (as ffmpeg writes it); directly in moov it is
 * QuickTime's plain box (as Apple writes it), since ExifTool reads a FullBox header there as a terminator.
 */
function newMdta(entries: [string, string][], fullBox: boolean): Uint8Array {
  // hdlr: version/flags, pre_defined, handler "mdta", three reserved words, empty name.
  const hdlr = isoBox('hdlr', new Uint8Array(8), utf8('mdta'), new Uint8Array(13))
  const ilst = isoBox('ilst', ...entries.map(([, value], i) => item(i + 1, [dataBox(value)])))
  return isoBox('meta', new Uint8Array(fullBox ? 4 : 0), hdlr, keysBox(entries.map(([k]) => k)), ilst)
}

/** An mdta meta box with Tanba's keys replaced or added; every other key and item is kept, renumbered. */
function rebuildMdta(b: Uint8Array, meta: Box, entries: [string, string][]): Uint8Array {
  const keys = mdtaKeys(b, meta)
  const ilst = child(meta, 'ilst')
  const kept: [string, Uint8Array[]][] = []
  for (const it of ilst?.children ?? []) {
    const name = keys[view(b).getUint32(it.offset + 4) - 1]
    if (name === undefined || OWN_KEYS.has(name)) continue
    kept.push([name, [payload(b, it)]])
  }
  const all: [string, Uint8Array[]][] = [...kept, ...entries.map(([k, v]): [string, Uint8Array[]] => [k, [dataBox(v)]])]
  const newKeys = keysBox(all.map(([k]) => k))
  const newIlst = isoBox('ilst', ...all.map(([, body], i) => item(i + 1, body)))
  const replace = new Map<Box, Uint8Array>()
  const keysNode = child(meta, 'keys')
  if (keysNode) replace.set(keysNode, newKeys)
  if (ilst) replace.set(ilst, newIlst)
  const append = [...(keysNode ? [] : [newKeys]), ...(ilst ? [] : [newIlst])]
  // keys must come before ilst: when keys was missing and ilst present, rebuild in canonical order.
  if (!keysNode && ilst) {
    const others = (meta.children ?? []).filter((c) => c !== ilst).map((c) => b.subarray(c.offset, c.end))
    return isoBox('meta', b.subarray(meta.dataOffset, meta.childOffset ?? meta.dataOffset), ...others, newKeys, newIlst)
  }
  return rebuild(b, meta, replace, append)
}

/** Rewrites every stco/co64 entry of the new moov by the move of the top-level box it points into. */
function patchChunkOffsets(moov: Uint8Array, moves: { from: number; to: number; delta: number }[], oldMoov: Box, limits: Limits): void {
  const tree = parseMoovTree(moov, { type: 'moov', offset: 0, headerSize: 8, size: moov.length, dataOffset: 8, end: moov.length }, limits)
  const v = view(moov)
  let last = moves[0]
  const shift = (x: number): number => {
    if (last && x >= last.from && x < last.to) return x + last.delta
    const m = moves.find((r) => x >= r.from && x < r.to)
    if (!m) {
      if (x >= oldMoov.offset && x < oldMoov.end) throw new MalformedInputError(`A chunk offset (${x}) points into the moov box itself; Tanba cannot move such a file`)
      return x
    }
    last = m
    return x + m.delta
  }
  for (const trak of children(tree, 'trak')) {
    const stbl = child(child(child(trak, 'mdia'), 'minf'), 'stbl')
    const stco = child(stbl, 'stco')
    const co64 = child(stbl, 'co64')
    if (stco) {
      const n = v.getUint32(stco.dataOffset + 4)
      for (let i = 0; i < n; i++) {
        const o = stco.dataOffset + 8 + i * 4
        const next = shift(v.getUint32(o))
        if (next > 0xffffffff) throw new TooLargeError('A chunk offset no longer fits the 32-bit stco box')
        v.setUint32(o, next)
      }
    }
    if (co64) {
      const n = v.getUint32(co64.dataOffset + 4)
      for (let i = 0; i < n; i++) {
        const o = co64.dataOffset + 8 + i * 8
        v.setBigUint64(o, BigInt(shift(Number(v.getBigUint64(o)))))
      }
    }
  }
}

