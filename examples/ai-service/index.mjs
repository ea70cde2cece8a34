// A generative-AI HTTP service that labels everything it returns.
//
//   GET  /v1/images?prompt=…        a PNG from the "model" (sharp draws it), stamped with a visible
//                                   warning, XMP (IPTC, TC260, the Tanba label) and C2PA
//   POST /v1/text {"prompt": "…"}   a whole answer, with the notice and the invisible signed label
//   GET  /v1/text/stream?prompt=…   the same answer streamed token by token through the streaming
//                                   labeller: notice first, tokens unchanged, label at the end
//   GET  /trust.pem                 the CA certificate and signer chain verifiers need to trust it
//
// Every response carries the AI-Disclosure header (IETF draft-abaris-aicdh). The service listens
// on 127.0.0.1 only. Run: pnpm --filter @tanba/example-ai-service start [-- --port 8787]
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import sharp from 'sharp'
import { TextStampStream, aiDisclosureHeader, stampText } from '@tanba/text'
import { createPemSigner, generateSigningCredentials, stamp, toAiDisclosureHeader } from 'tanba'
import { close } from 'tanba/node'

const SYSTEM = { name: 'Demo Generative Service', version: '1.0', model: 'demo-model-1' }
const OWNER = { name: 'Demo AI LLP', id: '123456789012', country: 'KZ', contact: 'ai@demo.kz' }

/** The "image model": a deterministic picture drawn from the prompt (a gradient and circles). */
export async function generateImage(prompt, width = 640, height = 400) {
  let seed = 0
  for (const ch of prompt) seed = (seed * 31 + ch.codePointAt(0)) >>> 0
  const hue = seed % 360
  const circles = Array.from({ length: 6 }, (_, i) => {
    const x = (seed >> (i * 3)) % width
    const y = (seed >> (i * 2 + 1)) % height
    const r = 30 + ((seed >> i) % 90)
    return `<circle cx="${x}" cy="${y}" r="${r}" fill="hsl(${(hue + i * 47) % 360} 70% 60%)" fill-opacity="0.75"/>`
  }).join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue} 60% 25%)"/><stop offset="1" stop-color="hsl(${(hue + 120) % 360} 60% 55%)"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>${circles}</svg>`
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer())
}

/** The "language model": an answer split into model-sized tokens, produced with a small delay. */
export async function* generateTokens(prompt, delayMs = 2) {
  const answer =
    `You asked: “${prompt}”. ` +
    'Жасанды интеллект туралы заң синтетикалық мазмұнды белгілеуді талап етеді. ' +
    'Закон требует помечать такой контент. This answer was written by a model, token by token.\n'
  const chars = [...answer]
  for (let i = 0; i < chars.length; ) {
    const n = 1 + (i % 4)
    yield chars.slice(i, i + n).join('')
    i += n
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs))
  }
}

/** Builds the service. `credentials` default to a fresh private CA and signer (see `tanba keygen`). */
export async function createService({ credentials, profiles = ['kz'] } = {}) {
  const creds = credentials ?? (await generateSigningCredentials({ organization: OWNER.name, country: 'KZ', commonName: 'Demo AI labelling' }))
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const options = { signer, system: SYSTEM, owner: OWNER, profiles }
  const app = Fastify({ logger: false })

  app.get('/v1/images', async (request, reply) => {
    const prompt = String(request.query.prompt ?? 'a mountain lake at dawn')
    const picture = await generateImage(prompt)
    const out = await stamp(picture, { ...options, mediaType: 'image/png', prompt: { text: prompt } })
    reply.header('AI-Disclosure', toAiDisclosureHeader(out.label)).type('image/png')
    return Buffer.from(out.bytes)
  })

  app.post('/v1/text', async (request, reply) => {
    const prompt = String(request.body?.prompt ?? 'Tell me about the AI law')
    let answer = ''
    for await (const token of generateTokens(prompt, 0)) answer += token
    const { text, label } = await stampText(answer, options)
    reply.header('AI-Disclosure', aiDisclosureHeader(label)).type('text/plain; charset=utf-8')
    return text
  })

  app.get('/v1/text/stream', async (request, reply) => {
    const prompt = String(request.query.prompt ?? 'Tell me about the AI law')
    const labeller = new TextStampStream(options)
    const tokens = ReadableStream.from(generateTokens(prompt))
    const body = tokens.pipeThrough(labeller).pipeThrough(new TextEncoderStream())
    // The header goes out before the first byte, from what is known before the text is.
    reply.header('AI-Disclosure', aiDisclosureHeader(labeller.draft)).type('text/plain; charset=utf-8')
    return reply.send(Readable.fromWeb(body))
  })

  app.get('/trust.pem', async (_request, reply) => {
    reply.type('application/x-pem-file')
    return `${creds.caCertificatePem.trim()}\n${creds.chainPem.trim()}\n`
  })

  app.addHook('onClose', async () => close())
  return app
}

async function main() {
  const args = process.argv.slice(2)
  const at = args.indexOf('--port')
  const port = at >= 0 ? Number(args[at + 1]) : 8787
  const app = await createService()
  const address = await app.listen({ host: '127.0.0.1', port })
  const stop = () => app.close().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  if (args.includes('--json')) console.log(JSON.stringify({ url: address }))
  else {
    console.log(`Labelling AI service on ${address}`)
    console.log(`  curl -o picture.png '${address}/v1/images?prompt=lake'`)
    console.log(`  curl -N '${address}/v1/text/stream?prompt=hello'`)
    console.log(`  curl -s ${address}/trust.pem > trust.pem && pnpm tanba verify picture.png --trust trust.pem`)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
