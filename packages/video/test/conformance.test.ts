import { describeAdapterConformance, type ConformanceSample } from '@tanba/core/testing'
import { createVideoAdapter } from '../src/adapter.js'
import { benignEdit, fixture, format, tamperEssence } from './helpers.js'

// Clips made by Debian's ffmpeg (scripts/fixtures/video.mjs). The visible opening notice is not
// implemented yet, so the suite stamps the machine-readable carriers only.
const samples: ConformanceSample[] = [
  { name: 'H.264 + AAC in MP4', format: format('mp4'), bytes: fixture('h264-aac.mp4') },
  { name: 'H.264 + AAC in MOV', format: format('mov'), bytes: fixture('h264-aac.mov') },
  { name: 'H.264 + AAC in M4V', format: format('m4v'), bytes: fixture('h264-aac.m4v') },
  { name: 'HEVC + AAC in MP4', format: format('mp4'), bytes: fixture('hevc-aac.mp4') },
  { name: 'H.264 + Opus in MP4', format: format('mp4'), bytes: fixture('h264-opus.mp4') },
  { name: 'H.264 rotated 90° in MP4', format: format('mp4'), bytes: fixture('rotated.mp4') },
]

describeAdapterConformance('@tanba/video', {
  adapter: async () => createVideoAdapter(),
  samples,
  tamperEssence,
  benignEdit,
  stampOptions: { notice: { visible: false } },
  c2pa: () => true,
})
