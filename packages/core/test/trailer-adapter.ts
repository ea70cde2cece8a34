// A deliberately tiny adapter used only to test core's pipeline: the label is a JSON
// trailer after a marker line, the essence is everything before it. Not a real format.
import {
  concatBytes,
  fromUtf8,
  MalformedInputError,
  parseLabel,
  serializeLabel,
  sha256Base64Url,
  startsWith,
  utf8,
  type Adapter,
  type FormatInfo,
  type Marker,
  type FoundLabel,
} from '../src/index.js'

const MARK = utf8('\n--TANBA-TRAILER--\n')

export const trailerFormat: FormatInfo = {
  id: 'trailer',
  kind: 'text',
  mediaTypes: ['application/x-tanba-trailer'],
  extensions: ['trl'],
  sniff: (head) => startsWith(head, 'TRL1'),
  supported: true,
}

function split(input: Uint8Array): { essence: Uint8Array; trailers: Uint8Array[] } {
  if (!startsWith(input, 'TRL1')) throw new MalformedInputError('Expected the TRL1 magic at the start of the file')
  const parts: Uint8Array[] = []
  let start = 0
  for (let i = 0; i + MARK.length <= input.length; i++) {
    if (startsWith(input, MARK, i)) {
      parts.push(input.subarray(start, i))
      start = i + MARK.length
      i = start - 1
    }
  }
  parts.push(input.subarray(start))
  return { essence: parts[0]!, trailers: parts.slice(1) }
}

export function createTrailerAdapter(extraMarkers: Marker[] = []): Adapter {
  return {
    name: 'trailer',
    kind: 'text',
    formats: [trailerFormat],
    capabilities: { stamp: true },
    async open(input, format) {
      const { essence, trailers } = split(input)
      return {
        format,
        size: input.length,
        async read() {
          const labels: FoundLabel[] = trailers.map((t, i) => {
            try {
              return { carrier: `trailer#${i}`, label: parseLabel(fromUtf8(t)) }
            } catch (error) {
              return { carrier: `trailer#${i}`, error: error as never }
            }
          })
          return { markers: [...extraMarkers], labels, messages: [], fields: {} }
        },
        async digest() {
          return sha256Base64Url(essence)
        },
        async stamp(ctx) {
          const label = await ctx.sign({ method: 'tanba.test-trailer/1', alg: 'sha-256', digest: await sha256Base64Url(essence) }, { method: 'text', langs: ctx.notice?.lines.map((l) => l.lang) ?? [] })
          return { bytes: concatBytes(essence, MARK, utf8(serializeLabel(label))), label, carriers: ['trailer'], messages: [] }
        },
      }
    },
  }
}

export const trailerEntry = { name: 'trailer', kind: 'text' as const, formats: [trailerFormat], load: async () => createTrailerAdapter() }
