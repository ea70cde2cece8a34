// The rules only the audio adapter reports (docs/report.md lists every set).
import { defineRules } from '@tanba/core'

export const AUDIO_RULES = defineRules('@tanba/audio', {
  'riff.duplicate-chunk': { fatal: true, where: 'verify', meaning: 'A WAV file holds a second `fmt ` or `data` chunk: players disagree about which one they play.' },
  'riff.truncated': { fatal: true, where: 'verify', meaning: 'The RIFF header declares more bytes than the file has: it was cut short.' },
  'riff.size-mismatch': { fatal: false, where: 'verify', meaning: 'The RIFF header declares fewer bytes than the file has; the bytes after it are outside the RIFF form.' },
  'riff.streamed': { fatal: false, where: 'both', meaning: 'The WAV header leaves the RIFF or data size unset, as streaming writers do: the data runs to the end of the file.' },
  'id3.unreadable': { fatal: false, where: 'verify', meaning: 'An ID3 tag (in a WAV `id3 ` chunk) could not be read.' },
  'id3.frame-unreadable': { fatal: false, where: 'verify', meaning: 'One ID3 frame could not be decoded; the others were read.' },
  'tags.unreadable': { fatal: false, where: 'verify', meaning: 'music-metadata could not read the tags.' },
  'flac.md5-cleared': { fatal: false, where: 'stamp', meaning: 'The FLAC STREAMINFO MD5 was set to zero ("not computed"), as the format allows, because the audible notice changed the audio.' },
  'notice.vbri-not-updated': { fatal: false, where: 'stamp', meaning: "An MP3's VBRI header was not updated: players that trust it may show the old duration." },
  'ogg.skipped-bytes': { fatal: false, where: 'verify', meaning: 'Bytes between Ogg pages that belong to no page were skipped.' },
})
