// The rules only the PDF adapter reports (docs/report.md lists every set).
import { defineRules } from '@tanba/core'

export const PDF_RULES = defineRules('@tanba/pdf', {
  'pdf.changed-after-labelling': { fatal: true, where: 'verify', meaning: 'An incremental update appended after labelling changes what is shown (pages, annotations, the opening action, a portfolio).' },
  'pdf.updated-after-labelling': { fatal: false, where: 'verify', meaning: 'Incremental updates appended after labelling change only document-level data such as metadata.' },
  'pdf.updates-unreadable': { fatal: true, where: 'verify', meaning: 'The updates appended after labelling cannot be parsed.' },
  'pdf.truncated': { fatal: true, where: 'verify', meaning: "The file ends before the end of Tanba's metadata revision." },
  'pdf.xref-repaired': { fatal: false, where: 'both', meaning: 'The cross-reference data was damaged and was rebuilt by scanning the file.' },
  'pdf.encrypted': { fatal: false, where: 'both', meaning: 'The PDF is encrypted; the label was added in the same encryption.' },
  'pdf.permissions': { fatal: false, where: 'stamp', meaning: 'The permissions forbid changes; the label went into an incremental update that leaves the signed bytes intact.' },
  'pdf.annotation-in-band': { fatal: false, where: 'stamp', meaning: "An annotation placed outside a page's visible area now shows in the added notice band and may cover part of it." },
  'pdf.notice-may-be-hidden': { fatal: false, where: 'stamp', meaning: 'A page content stream has an error at which viewers stop painting, so the overlaid notice may not show.' },
})
