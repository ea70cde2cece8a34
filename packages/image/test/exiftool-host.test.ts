// One ExifTool for a pool of threads: a thread connected to a host sends its XMP writes there instead
// of starting its own Perl process. (This file connects its own module to a host, so it runs alone.)
import { afterAll, describe, expect, it } from 'vitest'
import { DependencyError } from '@tanba/core'
import { childProcesses } from '@tanba/core/testing'
import { createExiftoolHost, useExiftoolHost } from '../src/index.js'
import { exiftoolWriteXmp } from '../src/exiftool.js'
import { fixture } from './helpers.js'

const host = createExiftoolHost()
afterAll(() => host.close())

const packet = (marker: string) =>
  `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:source>${marker}</dc:source></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`

describe.skipIf(process.platform !== 'linux')('writing XMP through an ExifTool host', () => {
  it('writes with the host’s one ExifTool process, started on the first write and ended with the host', async () => {
    const exiftools = () => childProcesses((cmdline) => cmdline.includes('exiftool'))
    const before = new Set(exiftools())
    const ours = () => exiftools().filter((pid) => !before.has(pid))
    useExiftoolHost(host.connect())
    expect(ours()).toEqual([])
    for (const [name, ext] of [['multipage.tif', 'tiff'], ['photo.avif', 'avif']] as const) {
      const input = fixture(name)
      const out = await exiftoolWriteXmp(input, ext, packet(`tanba-host-${ext}`))
      expect(Buffer.from(out).includes(`tanba-host-${ext}`)).toBe(true)
      expect(fixture(name)).toEqual(input)
    }
    expect(ours().length).toBe(1)
    await host.close()
    const t0 = Date.now()
    while (ours().length && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50))
    expect(ours()).toEqual([])
  }, 60_000)

  it('reports a failed write as it does without a host', async () => {
    useExiftoolHost(host.connect())
    const error = await exiftoolWriteXmp(new TextEncoder().encode('not a TIFF at all'), 'tiff', packet('x')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DependencyError)
    expect(error).toMatchObject({ code: 'TANBA_DEPENDENCY_FAILED', message: expect.stringMatching(/^ExifTool could not write XMP into the TIFF file: ./) })
    await host.close()
  }, 60_000)
})
