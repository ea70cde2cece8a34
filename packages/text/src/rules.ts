// The rules only the text adapter reports (docs/report.md lists every set).
import { defineRules } from '@tanba/core'

export const TEXT_RULES = defineRules('@tanba/text', {
  'text.wrapper-duplicated': { fatal: true, where: 'verify', meaning: 'The text holds more than one Tanba wrapper: it was joined from labelled pieces or stamped twice by another tool.' },
  'text.selector-runs': { fatal: false, where: 'verify', meaning: 'Runs of variation selectors after U+FEFF carry no known wrapper.' },
  'text.binding-v1': { fatal: false, where: 'verify', meaning: 'The label uses text binding version 1, which left `<meta>`, front matter and selector runs outside the signature.' },
  'text.label-replaced': { fatal: false, where: 'stamp', meaning: 'The input already carried a Tanba label; it was replaced.' },
  'markdown.front-matter-invalid': { fatal: false, where: 'verify', meaning: 'The Markdown front matter is not valid YAML.' },
  'html.charset-not-utf8': { fatal: true, where: 'both', meaning: 'The page declares a charset other than UTF-8: a browser would decode other characters than those bound.' },
  'html.fragment': { fatal: false, where: 'stamp', meaning: 'Stamped as an HTML fragment: the meta elements sit at its start, to be moved into the head.' },
})
