// Labels an OpenAI-style server-sent-events (SSE) chat stream on the fly.
//
//   model (simulated)  --SSE-->  labelling gateway  --SSE-->  client
//
// The gateway reads `choices[0].delta.content` tokens from the upstream stream, pipes them
// through @tanba/text's TextStampStream (notice first, tokens unchanged, signed invisible
// label at the end) and re-emits them in the same chunk format, with an AI-Disclosure header.
// The client joins the deltas and verifies the text. Everything runs on 127.0.0.1; no network.
//
// Run: pnpm --filter @tanba/example-text-sse start   (add --json for a machine-readable summary)
import { createServer } from 'node:http'
import { once } from 'node:events'
import { createPemSigner, generateSigningCredentials, TrustStore } from '@tanba/core'
import { TextStampStream, aiDisclosureHeader, verifyText } from '@tanba/text'

const ANSWER =
  'Жасанды интеллект туралы заң 2026 жылғы 18 қаңтарда күшіне енді. ' +
  'Закон требует помечать синтетический контент. Sunʼiy intellekt oʻz matnini belgilaydi. ' +
  '人工智能生成的内容需要标识。 Done ✅\n'

/** Splits text into model-like tokens of 1-4 characters (whole code points). */
function tokenize(text) {
  const chars = [...text]
  const tokens = []
  for (let i = 0; i < chars.length; ) {
    const n = 1 + (i % 4)
    tokens.push(chars.slice(i, i + n).join(''))
    i += n
  }
  return tokens
}

function chunkEvent(id, model, content, finish = null) {
  const chunk = { id, object: 'chat.completion.chunk', created: 1768728600, model, choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] }
  return `data: ${JSON.stringify(chunk)}\n\n`
}

/** Parses an SSE byte stream into the `data` payloads of its events. */
async function* sseData(body) {
  let buffer = ''
  for await (const text of body.pipeThrough(new TextDecoderStream())) {
    buffer += text
    let end
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const event = buffer.slice(0, end)
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '')
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n')
      if (data) yield data
    }
  }
}

/** The simulated model: an OpenAI-compatible streaming endpoint. */
function startModel() {
  const server = createServer(async (req, res) => {
    for await (const _ of req); // read the request body
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    for (const token of tokenize(ANSWER)) {
      res.write(chunkEvent('chatcmpl-demo', 'demo-llm-1', token))
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    res.write(chunkEvent('chatcmpl-demo', 'demo-llm-1', null, 'stop'))
    res.end('data: [DONE]\n\n')
  })
  return listen(server)
}

/** The gateway: forwards the request, labels the token stream, answers in the same SSE format. */
function startGateway(upstream, stampOptions) {
  const server = createServer(async (req, res) => {
    const body = []
    for await (const part of req) body.push(part)
    const upstreamResponse = await fetch(`${upstream}/v1/chat/completions`, { method: 'POST', body: Buffer.concat(body), headers: { 'content-type': 'application/json' } })
    const stamp = new TextStampStream(stampOptions)
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'ai-disclosure': aiDisclosureHeader(stamp.draft) })
    let id = 'chatcmpl'
    let model = 'unknown'
    let finish = 'stop'
    // Upstream deltas -> tokens -> TextStampStream -> SSE chunks, as they come.
    const tokens = new ReadableStream({
      async start(controller) {
        for await (const data of sseData(upstreamResponse.body)) {
          if (data === '[DONE]') break
          const chunk = JSON.parse(data)
          id = chunk.id ?? id
          model = chunk.model ?? model
          const choice = chunk.choices?.[0]
          if (choice?.finish_reason) finish = choice.finish_reason
          if (typeof choice?.delta?.content === 'string' && choice.delta.content) controller.enqueue(choice.delta.content)
        }
        controller.close()
      },
    })
    await tokens.pipeThrough(stamp).pipeTo(
      new WritableStream({
        write(piece) {
          res.write(chunkEvent(id, model, piece))
        },
      }),
    )
    res.write(chunkEvent(id, model, null, finish))
    res.end('data: [DONE]\n\n')
  })
  return listen(server)
}

async function listen(server) {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) }
}

export async function main({ json = false } = {}) {
  // A throwaway CA and ES256 signer; a real deployment loads its key (see `tanba keygen`).
  const creds = await generateSigningCredentials({ commonName: 'SSE example signer', organization: 'Tanba example' })
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const stampOptions = { signer, system: { name: 'Demo Chat', model: 'demo-llm-1' }, owner: { name: 'Demo LLP', id: '123456789012', country: 'KZ' }, profiles: ['kz'] }
  const model = await startModel()
  const gateway = await startGateway(model.url, stampOptions)
  try {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo-llm-1', stream: true, messages: [{ role: 'user', content: 'Жасанды интеллект туралы заң қашан күшіне енді?' }] }),
    })
    let text = ''
    let events = 0
    for await (const data of sseData(response.body)) {
      if (data === '[DONE]') break
      events++
      text += JSON.parse(data).choices[0].delta.content ?? ''
    }
    // The signer's public key as the trust anchor: the wrapper carries no chain (it stays small).
    const trust = await TrustStore.from({ keys: [signer.publicKey] })
    const report = await verifyText(text, { trust })
    const summary = {
      aiDisclosure: response.headers.get('ai-disclosure'),
      events,
      visibleText: text.replace(/\uFEFF[\uFE00-\uFE0F\uDB40\uDD00-\uDDEF]*/g, ''),
      invisibleCodePoints: [...text].length - [...text.replace(/\uFEFF[\uFE00-\uFE0F\uDB40\uDD00-\uDDEF]*/g, '')].length,
      status: report.status,
      trusted: report.signature?.trusted ?? false,
      binding: report.binding?.valid ?? false,
      labelId: report.label?.id ?? null,
      markers: report.markers.map((m) => `${m.standard}:${m.carrier}`),
      profiles: report.profiles,
    }
    if (json) console.log(JSON.stringify(summary))
    else {
      console.log(`AI-Disclosure: ${summary.aiDisclosure}`)
      console.log(`Received ${events} SSE chunks. Visible text:\n\n${summary.visibleText}`)
      console.log(`(+ ${summary.invisibleCodePoints} invisible code points: the signed label)\n`)
      console.log(`Verification: ${summary.status}, signature ${summary.trusted ? 'trusted' : 'untrusted'}, binding ${summary.binding ? 'intact' : 'broken'}`)
      console.log(`Markers: ${summary.markers.join(', ')}; kz profile ${summary.profiles.kz?.pass ? 'passes' : 'fails'}`)
    }
    return summary
  } finally {
    await gateway.close()
    await model.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const summary = await main({ json: process.argv.includes('--json') })
  process.exitCode = summary.status === 'valid' ? 0 : 1
}
