// Other tools' AI markers: Stable Diffusion and ComfyUI text chunks, A1111 EXIF, IPTC and TC260 XMP.
import { afterAll, describe, expect, it } from 'vitest'
import { verifyWith, type VerificationReport } from '@tanba/core'
import { closeImageAdapter, createImageAdapter, sniffImageFormat } from '../src/index.js'
import { fixture } from './helpers.js'

const adapter = createImageAdapter()
afterAll(() => closeImageAdapter())

async function verify(name: string): Promise<VerificationReport> {
  const bytes = fixture(name)
  return verifyWith(adapter, bytes, sniffImageFormat(bytes)!)
}

describe('generator markers', () => {
  it('reports the Stable Diffusion web UI "parameters" PNG chunk', async () => {
    const report = await verify('sd-parameters.png')
    expect(report.status).toBe('unlabelled')
    expect(report.aiMarked).toBe(true)
    const m = report.markers.find((x) => x.standard === 'sd-parameters')!
    expect(m).toMatchObject({ carrier: 'png:tEXt:parameters', aiMarked: true, valid: null })
    expect(String(m.value)).toContain('Steps: 28, Sampler: DPM++ 2M Karras')
  })

  it('reports ComfyUI "prompt" (tEXt) and "workflow" (zTXt) chunks', async () => {
    const report = await verify('comfyui.png')
    const comfy = report.markers.filter((x) => x.standard === 'comfyui')
    expect(comfy.map((m) => m.carrier).sort()).toEqual(['png:tEXt:prompt', 'png:zTXt:workflow'])
    expect(comfy.every((m) => m.aiMarked)).toBe(true)
    expect(JSON.parse(String(comfy.find((m) => m.carrier.endsWith('prompt'))!.value))['3'].class_type).toBe('KSampler')
  })

  it('reports A1111 parameters written into EXIF UserComment of a JPEG', async () => {
    const report = await verify('a1111-exif.jpg')
    const m = report.markers.find((x) => x.standard === 'sd-parameters')!
    expect(m.carrier).toBe('exif:UserComment')
    expect(String(m.value)).toMatch(/^a lighthouse on a cliff/)
  })
})

describe('standard metadata from other tools', () => {
  for (const name of ['third-party-xmp.jpg', 'third-party-xmp.png']) {
    it(`${name}: IPTC digital source type (full URI), AI system and TC260 AIGC`, async () => {
      const report = await verify(name)
      expect(report.status).toBe('unlabelled')
      expect(report.aiMarked).toBe(true)
      expect(report.markers.find((m) => m.standard === 'iptc')).toMatchObject({
        carrier: 'xmp',
        aiMarked: true,
        value: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia',
      })
      expect(report.markers.find((m) => m.standard === 'tc260')).toMatchObject({ aiMarked: true, value: { Label: '1', ContentProducer: '001191110102MAD55U9H0F10002' } })
      // TC260 alone satisfies the cn profile's machine-readable rule; the notice is still missing.
      expect(report.profiles.kz?.failures).toEqual(['notice: expected a perceivable notice'])
    })
  }

  it('finds nothing in plain pictures', async () => {
    const report = await verify('photo.jpg')
    expect(report).toMatchObject({ status: 'unlabelled', aiMarked: false, markers: [] })
  })
})
