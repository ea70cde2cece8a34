import { basename } from 'node:path'
import { describeAdapterConformance } from '@tanba/core/testing'
import { createPdfAdapter } from '../src/adapter.js'
import { PDF_FORMAT } from '../src/formats.js'
import { CORPUS_PDFS, drawOnFirstPage, editTitle, EXPRESS_SIGNED, FIXTURE_PDFS, load } from './helpers.js'

describeAdapterConformance('pdf', {
  adapter: async () => createPdfAdapter(),
  samples: [...CORPUS_PDFS, EXPRESS_SIGNED, ...FIXTURE_PDFS].map((path) => ({ name: basename(path), format: PDF_FORMAT, bytes: load(path) })),
  // Another tool draws on page 1 in an incremental update: the page content changed after labelling.
  tamperEssence: (stamped) => drawOnFirstPage(stamped),
  // Another tool edits the document title in an incremental update: metadata only.
  benignEdit: (stamped) => editTitle(stamped),
  // C2PA on: the engine cannot sign PDF, so every sample must say c2pa.unsupported-format.
  c2pa: () => false,
})
