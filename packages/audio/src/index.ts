import type { AdapterEntry } from '@tanba/core'
import { AUDIO_FORMATS } from './formats.js'

/** The registry entry for @tanba/audio: static formats, adapter loaded on first use. */
export const audioEntry: AdapterEntry = {
  name: '@tanba/audio',
  kind: 'audio',
  formats: AUDIO_FORMATS,
  load: () => import('./adapter.js').then((m) => m.createAudioAdapter()),
}

export { AUDIO_FORMATS, MP3_FORMAT, WAV_FORMAT, FLAC_FORMAT, M4A_FORMAT, OGG_FORMAT, AIFF_FORMAT, NOTICE_FORMATS, C2PA_FORMATS } from './formats.js'
export { createAudioAdapter, AUDIO_ADAPTER_NAME, type AudioAdapterOptions } from './adapter.js'
export type { AudibleNoticeOptions, SpeechClip } from './notice/notice.js'
export { detectRhythm, renderRhythm, resolveRhythm, rhythmLength, RHYTHM_PATTERN, type RhythmOptions, type RhythmDetection } from './notice/rhythm.js'
export { encodeFlac, type EncodeFlacOptions } from './flac/encoder.js'
export { encodeWav, type EncodeWavOptions } from './wav/encode.js'
export { AUDIO_RULES } from './rules.js'
