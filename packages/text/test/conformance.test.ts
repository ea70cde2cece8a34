import { describeAdapterConformance } from '@tanba/core/testing'
import { createTextAdapter, htmlFormat, markdownFormat, plainTextFormat } from '../src/index.js'
import { dec, enc, fixture } from './helpers.js'

/** Changes one character of the body (the second "а"/"a"/"e" after the notice). */
function tamperEssence(stamped: Uint8Array): Uint8Array {
  const text = dec.decode(stamped)
  const at = text.lastIndexOf('ы') >= 0 ? text.lastIndexOf('ы') : text.lastIndexOf('e')
  return enc.encode(text.slice(0, at) + 'и' + text.slice(at + 1))
}

// Markdown and HTML with default options: their front matter / script carry the chain, so a
// CA-only trust store trusts them.
describeAdapterConformance('@tanba/text (Markdown, HTML)', {
  adapter: async () => createTextAdapter(),
  samples: [
    { name: 'markdown (Kazakh, Russian, Uzbek, Chinese, RTL, emoji)', format: markdownFormat, bytes: enc.encode(fixture('sample.md')) },
    // Without its final line break: cutting only a final line break is a benign edit (binding v2),
    // so the suite's "last byte cut" case must cut into the page.
    { name: 'html document', format: htmlFormat, bytes: enc.encode(fixture('sample.html').trimEnd()) },
  ],
  tamperEssence,
  // What editors and git do to text files: CR LF line ends (autocrlf) and a final line break.
  // (Other front matter keys and <meta> elements are bound in binding v2: renderers use them.)
  benignEdit: (stamped) => enc.encode(`${dec.decode(stamped).replace(/\n/g, '\r\n')}\n`),
})

// Plain text: the invisible wrapper is its only carrier. By default it omits the X.509 chain
// (to stay near 256 bytes), so CA-based trust needs `certificates: true`; the default is
// tested in text.test.ts (trusted through the signer's public key).
describeAdapterConformance('@tanba/text (plain text, chain in the wrapper)', {
  adapter: async () => createTextAdapter(),
  samples: [{ name: 'plain text (multilingual)', format: plainTextFormat, bytes: enc.encode(fixture('sample.txt')) }],
  stampOptions: { adapterOptions: { text: { certificates: true } } },
  tamperEssence,
  // Another tool appends its own invisible carrier (a run of selectors with an unknown magic)
  // at the end, and git converts the line ends.
  benignEdit: (stamped) => {
    const text = dec.decode(stamped).replace(/\n/g, '\r\n')
    return enc.encode(text + '\uFEFF\uFE01\uFE02\uDB40\uDD42\r\n')
  },
})
