// The rules only the image adapter reports (docs/report.md lists every set).
import { defineRules } from '@tanba/core'

export const IMAGE_RULES = defineRules('@tanba/image', {
  'image.note': { fatal: false, where: 'stamp', meaning: 'A note about how the image was stamped (e.g. a colour profile converted, an animation kept).' },
  'profile.eu.watermark': { fatal: false, where: 'stamp', meaning: 'No invisible watermark was embedded, so the EU profile misses its second machine-readable layer.' },
})
