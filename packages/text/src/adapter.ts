import {
  InvalidLabelError,
  UnsupportedFormatError,
  throwIfAborted,
  type Adapter,
  type Asset,
  type FormatInfo,
  type OpenOptions,
} from '@tanba/core'
import { HTML_BINDING, HTML_BINDING_V1, MARKDOWN_BINDING, MARKDOWN_BINDING_V1, TEXT_BINDING, TEXT_BINDING_V1, digestText, digestTextV1 } from './essence.js'
import { TEXT_FORMATS } from './formats.js'
import type { HtmlScan } from './html.js'
import { extractPlain, stampPlain } from './plain.js'
import { decodeUtf8 } from './utf8.js'
import { elidePlainText, splicingHash, type ElideOptions, type ElidedText } from './window.js'
import { findSelectorRuns } from './wrapper.js'

export const TEXT_ADAPTER_NAME = 'text'

// HTML needs an HTML tokenizer and Markdown a YAML library; each loads only when its input arrives,
// so plain text and streams stay light in a browser bundle.
const loadHtml = () => import('./html.js')
const loadMarkdown = () => import('./markdown.js')

export interface CreateTextAdapterOptions {
  /**
   * Large plain texts are decoded only at their ends when their middle cannot matter to any rule
   * (see window.ts): `false` always decodes the whole text; sizes are for tests.
   */
  elide?: ElideOptions | false
}

/** The text adapter: plain text, Markdown and HTML (UTF-8). */
export function createTextAdapter(adapterOptions: CreateTextAdapterOptions = {}): Adapter {
  const elide = adapterOptions.elide
  if (elide !== undefined && elide !== false) {
    const size = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)
    if (typeof elide !== 'object' || elide === null || !size(elide.minBytes) || !size(elide.window)) {
      throw new TypeError(`Expected options.elide to be false or { minBytes?, window? } with sizes in bytes (integers >= 0) but received ${JSON.stringify(elide)}`)
    }
  }
  return {
    name: TEXT_ADAPTER_NAME,
    kind: 'text',
    formats: TEXT_FORMATS,
    capabilities: { stamp: true },

    async open(input: Uint8Array, format: FormatInfo, options: OpenOptions): Promise<Asset> {
      throwIfAborted(options.signal)
      if (format.id !== 'text' && format.id !== 'markdown' && format.id !== 'html') throw unsupported(format)
      const html = format.id === 'html' ? await loadHtml() : undefined
      // Decoding is most of the work on text: done once here, for read, digest and stamp alike; a
      // large plain text whose middle cannot matter is decoded at its ends only.
      const elided = format.id === 'text' && elide !== false ? elidePlainText(input, options.limits, elide) : undefined
      if (elided) return openElided(input, format, options, elided)
      const text = html ? html.decodeHtml(input, options) : decodeUtf8(input, options.limits)
      // HTML: the tokenizer's scan of that text is the other half; made on first use, then shared.
      let scan: HtmlScan | undefined
      const scanned = (h: typeof import('./html.js')) => (scan ??= h.scanHtml(text))
      return {
        format,
        size: input.length,
        async read(read) {
          throwIfAborted(options.signal)
          const opts = { ...options, ...read }
          if (format.id === 'text') return extractPlain(text, opts)
          if (format.id === 'markdown') return (await loadMarkdown()).extractMarkdown(text, opts)
          return html!.extractHtml(text, opts, scanned(html!))
        },
        // The label's method decides the essence, not the detected format, so a Markdown file
        // saved as .txt still verifies.
        async digest(binding) {
          throwIfAborted(options.signal)
          if (binding.alg !== 'sha-256') throw new InvalidLabelError(`Expected binding alg "sha-256" but the label says ${JSON.stringify(binding.alg)}`)
          switch (binding.method) {
            case TEXT_BINDING:
              return digestText(text, input)
            case MARKDOWN_BINDING:
              return (await loadMarkdown()).digestMarkdown(text, input, options.limits)
            case HTML_BINDING:
              return (await loadHtml()).digestHtml(text, input, html ? scanned(html) : undefined)
            case TEXT_BINDING_V1:
              return digestTextV1(text, input, findSelectorRuns(text, options.limits))
            case MARKDOWN_BINDING_V1:
              return (await loadMarkdown()).digestMarkdownV1(text, input, options.limits)
            case HTML_BINDING_V1:
              return (await loadHtml()).digestHtmlV1(text)
            default:
              throw new InvalidLabelError(`The text adapter does not know the binding method ${JSON.stringify(binding.method)} (expected ${TEXT_BINDING}, ${MARKDOWN_BINDING} or ${HTML_BINDING}, or their version 1)`)
          }
        },
        async stamp(ctx) {
          throwIfAborted(ctx.signal)
          if (format.id === 'text') return stampPlain(input, text, ctx)
          if (format.id === 'markdown') return (await loadMarkdown()).stampMarkdown(input, text, ctx)
          return html!.stampHtml(input, text, ctx, scanned(html!))
        },
      }
    },
  }
}

const wholeAdapter = createTextAdapter({ elide: false })

/** The asset of a plain text opened in its elided form: the same answers as the whole text. */
function openElided(input: Uint8Array, format: FormatInfo, options: OpenOptions, elided: ElidedText): Asset {
  // Offsets and lengths the read reports are those of the whole text: the placeholder is one unit.
  const grow = elided.middleUnits - 1
  return {
    format,
    size: input.length,
    async read(read) {
      throwIfAborted(options.signal)
      const found = await extractPlain(elided.text, { ...options, ...read })
      const fields = found.fields as { characters: number; wrappers: Array<{ offset: number }> }
      fields.characters += grow
      for (const w of fields.wrappers) if (w.offset > elided.at) w.offset += grow
      return found
    },
    async digest(binding) {
      throwIfAborted(options.signal)
      if (binding.alg === 'sha-256' && binding.method === TEXT_BINDING) return digestText(elided.text, elided.bytes, splicingHash(elided))
      // Any other method (a Markdown label on a .txt, version 1) reads the whole text, as before.
      return (await wholeAdapter.open(input, format, options)).digest(binding)
    },
    async stamp(ctx) {
      throwIfAborted(ctx.signal)
      return stampPlain(elided.bytes, elided.text, ctx, elided)
    },
  }
}

function unsupported(format: FormatInfo): UnsupportedFormatError {
  return new UnsupportedFormatError(`The text adapter does not handle format "${format.id}" (it handles ${TEXT_FORMATS.map((f) => f.id).join(', ')})`)
}
