import type { FormatInfo } from '@tanba/core'
import { describeAdapterConformance, type ConformanceSample } from '@tanba/core/testing'
import { createAudioAdapter } from '../src/adapter.js'
import { benignEdit, corpus, fixture, format, tamperEssence } from './helpers.js'

const withNotice: ConformanceSample[] = [
  { name: 'fixture programme.wav', format: format('wav'), bytes: fixture('programme.wav') },
  { name: 'fixture programme-float.wav', format: format('wav'), bytes: fixture('programme-float.wav') },
  { name: 'fixture programme.mp3', format: format('mp3'), bytes: fixture('programme.mp3') },
  { name: 'fixture programme.flac', format: format('flac'), bytes: fixture('programme.flac') },
  { name: 'corpus sample1.wav', format: format('wav'), bytes: () => Promise.resolve(corpus('media/sample1.wav')) },
  { name: 'corpus sample1.mp3', format: format('mp3'), bytes: () => Promise.resolve(corpus('media/sample1.mp3')) },
  { name: 'corpus sample1.flac', format: format('flac'), bytes: () => Promise.resolve(corpus('media/sample1.flac')) },
]

// M4A and Ogg take no audible notice: they are stamped with the notice turned off.
const withoutNotice: ConformanceSample[] = [
  { name: 'fixture programme.m4a', format: format('m4a'), bytes: fixture('programme.m4a') },
  { name: 'fixture programme.ogg (Vorbis)', format: format('ogg'), bytes: fixture('programme.ogg') },
  { name: 'fixture programme.opus (Opus)', format: format('ogg'), bytes: fixture('programme.opus') },
  { name: 'corpus sample1.m4a', format: format('m4a'), bytes: () => Promise.resolve(corpus('media/sample1.m4a')) },
]

const adapter = async () => createAudioAdapter()
// C2PA on: MP3, WAV, FLAC and M4A carry a manifest, Ogg does not.
const carriesC2pa = (f: FormatInfo) => f.id !== 'ogg'

describeAdapterConformance('@tanba/audio (audible notice)', { adapter, samples: withNotice, tamperEssence, benignEdit, stampOptions: {}, c2pa: carriesC2pa })
describeAdapterConformance('@tanba/audio (no notice)', { adapter, samples: withoutNotice, tamperEssence, benignEdit, stampOptions: { notice: { visible: false } }, c2pa: carriesC2pa })
