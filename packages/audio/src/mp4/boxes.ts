import { isoBox, readIsoBoxes, TooLargeError, type IsoBox, type Limits } from '@tanba/core'

/** Boxes whose payload is a list of boxes (ISO/IEC 14496-12, QuickTime, iTunes). */
export const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'udta', 'edts', 'dinf', 'mvex', 'moof', 'traf', 'ilst', 'tref', 'sinf', 'schi', 'meta'])

/** A parsed box with children for containers (only along walked paths) and the source range. */
export interface BoxNode {
  box: IsoBox
  /** Bytes between the header and the first child (e.g. a FullBox version/flags). */
  prefix: Uint8Array
  children?: BoxNode[]
}

/** Payload offset of a meta box's children: ISO meta is a FullBox, QuickTime's is not. */
export function metaChildOffset(b: Uint8Array, box: IsoBox): number {
  const p = box.dataOffset
  if (p + 8 <= box.end && String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!) === 'hdlr') return p
  return p + 4
}

/** Builds the tree below `box` for container types, checking sizes, depth and box counts. */
export function parseTree(b: Uint8Array, box: IsoBox, limits: Limits, depth = 1, counter = { n: 0 }): BoxNode {
  if (depth > limits.maxDepth) throw new TooLargeError(`MP4 boxes are nested more than ${limits.maxDepth} deep (limits.maxDepth)`, { details: { limit: 'maxDepth' } })
  if (!CONTAINERS.has(box.type)) return { box, prefix: new Uint8Array(0) }
  const start = box.type === 'meta' ? metaChildOffset(b, box) : box.dataOffset
  // QuickTime may end a udta box with a 32-bit zero terminator.
  let kids: IsoBox[]
  try {
    kids = readIsoBoxes(b, start, box.end, { maxChunks: limits.maxChunks })
  } catch (error) {
    const end = box.end
    const terminator = box.type === 'udta' && end - start >= 4 && b[end - 1] === 0 && b[end - 2] === 0 && b[end - 3] === 0 && b[end - 4] === 0
    if (!terminator) throw error
    kids = readIsoBoxes(b, start, end - 4, { maxChunks: limits.maxChunks })
  }
  counter.n += kids.length
  if (counter.n > limits.maxChunks) throw new TooLargeError(`The MP4 file has more than ${limits.maxChunks} boxes (limits.maxChunks)`)
  // ilst items are containers of data boxes; parse one level below them.
  const children = kids.map((k) => (box.type === 'ilst' ? itemNode(b, k, limits) : parseTree(b, k, limits, depth + 1, counter)))
  return { box, prefix: b.subarray(box.dataOffset, start), children }
}

function itemNode(b: Uint8Array, box: IsoBox, limits: Limits): BoxNode {
  let children: BoxNode[] | undefined
  try {
    children = readIsoBoxes(b, box.dataOffset, box.end, { maxChunks: limits.maxChunks }).map((k) => ({ box: k, prefix: new Uint8Array(0) }))
  } catch {
    children = undefined // an opaque item is kept byte for byte
  }
  return { box, prefix: new Uint8Array(0), ...(children ? { children } : {}) }
}

export function child(node: BoxNode | undefined, type: string): BoxNode | undefined {
  return node?.children?.find((c) => c.box.type === type)
}

export function children(node: BoxNode | undefined, type: string): BoxNode[] {
  return node?.children?.filter((c) => c.box.type === type) ?? []
}

export function payloadOf(b: Uint8Array, node: BoxNode): Uint8Array {
  return b.subarray(node.box.dataOffset, node.box.end)
}

/** A node whose content is replaced: either new raw bytes or new children. */
export type Edited = { raw: Uint8Array } | { type: string; prefix: Uint8Array; children: (BoxNode | Edited)[] }

/** Serialises a node tree: unchanged nodes are copied from `b`, edited ones rebuilt. */
export function serialize(b: Uint8Array, node: BoxNode | Edited): Uint8Array {
  if ('raw' in node) return node.raw
  if ('box' in node) return b.subarray(node.box.offset, node.box.end)
  const type = node.type
  return isoBox(type, node.prefix, ...node.children.map((c) => serialize(b, c)))
}
