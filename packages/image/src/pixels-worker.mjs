// Decodes images with sharp (libvips) for the watermark search on verify, in a child process forked
// by pixels.ts: a crash, abort or runaway allocation in the native decoder on a hostile file ends
// this process, never the verifier's.
// Protocol (structured clone over IPC, 'advanced' serialization):
//   parent → worker  { id, bytes, maxPixels, side }
//   worker → parent  { id, data, width, height } | { id, error }
/** @type {typeof import('sharp') | undefined} */
let sharp

process.on('message', async (msg) => {
  try {
    sharp ??= (await import('sharp')).default
    const image = sharp(msg.bytes, { limitInputPixels: msg.maxPixels, failOn: 'error' })
    const meta = await image.metadata()
    const portrait = (meta.height ?? 0) > (meta.width ?? 0)
    // Shrink-on-load where the format allows: the detector works at a few hundred pixels anyway.
    const { data, info } = await image
      .resize({ ...(portrait ? { width: msg.side } : { height: msg.side }), fit: 'outside', withoutEnlargement: true })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true })
    process.send({ id: msg.id, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height })
  } catch (error) {
    process.send({ id: msg.id, error: String(error?.message ?? error) })
  }
})
process.on('disconnect', () => process.exit(0))
