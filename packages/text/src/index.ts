// @tanba/text: runs in Node, browsers and edge runtimes (no node: imports; see ./node.ts for Node streams).
import type { AdapterEntry } from '@tanba/core'
import { TEXT_FORMATS } from './formats.js'

/** The registry entry: static formats, adapter loaded on first use. */
export const textEntry: AdapterEntry = Object.freeze({
  name: 'text',
  kind: 'text',
  formats: TEXT_FORMATS,
  load: () => import('./adapter.js').then((m) => m.createTextAdapter()),
})

export { createTextAdapter, TEXT_ADAPTER_NAME, type CreateTextAdapterOptions } from './adapter.js'
export { ELIDE_MIN_BYTES, ELIDE_WINDOW_BYTES, type ElideOptions } from './window.js'
export { TEXT_FORMATS, plainTextFormat, markdownFormat, htmlFormat, sniffHtml, looksLikeUtf8Text } from './formats.js'
export type { TextAdapterOptions } from './carriers.js'
export { wrapperLabel, labelWrapper } from './carriers.js'
export {
  TANBA_TEXT_MAGIC,
  C2PA_TEXT_MAGIC,
  TEXT_WRAPPER_VERSION,
  WRAPPER_HEADER_LENGTH,
  selectorForByte,
  byteForSelector,
  encodeSelectors,
  encodeTextWrapper,
  findSelectorRuns,
  findWrappers,
  parseWrapper,
  type SelectorRun,
  type TextWrapper,
  type WrapperKind,
} from './wrapper.js'
export { TEXT_BINDING, MARKDOWN_BINDING, HTML_BINDING, essenceText, removeSelectorRuns, digestText } from './essence.js'
export { NOTICE_TAG, findNotices, type FoundNotice } from './notice.js'
export { findFrontMatter, FRONT_MATTER_LABEL_KEY, FRONT_MATTER_TC260_KEY, type FrontMatter } from './frontmatter.js'
export { EssenceHasher, TextStampStream, createStampStream, createStreamStamper, type StreamStamper, type LabelDraft } from './stream.js'
export { aiDisclosureHeader, aiDisclosureHeaders, AI_DISCLOSURE_HEADER, type DisclosureSource } from './header.js'
export { stampText, verifyText, type TextFormatId, type TextStampResult } from './text-api.js'
export { decodeUtf8 } from './utf8.js'
export { TEXT_RULES } from './rules.js'
