import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { StampOptions } from '@tanba/core'
import type { TestCredentials } from '@tanba/core/testing'

export const enc = new TextEncoder()
export const dec = new TextDecoder('utf-8', { ignoreBOM: true })

/** A fixture from fixtures/text (made by scripts/fixtures/text.mjs). */
export function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../../../fixtures/text/${name}`, import.meta.url)), 'utf8')
}

export function corpusFile(path: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(`../../../../shared/corpus/${path}`, import.meta.url))))
}

export const WRAPPER_RE = /\uFEFF(?:[\uFE00-\uFE0F]|\uDB40[\uDD00-\uDDEF])+/g

export function withoutWrappers(text: string): string {
  return text.replace(WRAPPER_RE, '')
}

export function stampOptions(creds: TestCredentials, extra: Partial<StampOptions> = {}): StampOptions {
  return {
    signer: creds.signer,
    system: { name: 'Acme Chat', version: '2.1', model: 'acme-llm-2' },
    owner: { name: 'Acme LLP', id: '123456789012', country: 'KZ' },
    profiles: ['kz'],
    ...extra,
  }
}

/** Samples in the languages users read. */
export const SAMPLES = {
  kazakh: 'Әсем қала Алматыда күз ерте келді: ағаштардың жапырағы сарғайып, көше бойы өңге енді. Ұлы дала һәм оның ұрпақтары үшін бұл үйреншікті көрініс.',
  russian: 'Съешь же ещё этих мягких французских булок, да выпей чаю. Ёжик в тумане — классика.',
  uzbek: 'Oʻzbekiston Respublikasi — Markaziy Osiyodagi davlat. Gʻalla hosili moʻl boʻldi; sunʼiy intellekt qishloq xoʻjaligida ham qoʻllanilmoqda.',
  chinese: '人工智能生成的内容应当添加显式标识。北京、上海和深圳的企业正在落实这一要求。',
  emoji: 'Weather ☀️, love ❤️, check ✔️, family 👨‍👩‍👧‍👦, thumbs 👍🏽, flag 🇰🇿, keycap 1️⃣.',
  arabic: 'النص العربي يُكتب من اليمين إلى اليسار، والذكاء الاصطناعي يساعد في الترجمة.',
  hebrew: 'טקסט בעברית נכתב מימין לשמאל, ובינה מלאכותית עוזרת בתרגום.',
  mixedRtl: 'English then עברית and العربية then back to English 123.',
  cjkVariants: '葛󠄀城市 and 辻󠄀 with ideographic variation selectors, 邉󠄁 too.',
} as const satisfies Record<string, string>

/** A readable stream of the given chunks (ReadableStream.from is missing from the DOM typings). */
export function streamOf<T>(chunks: Iterable<T>): ReadableStream<T> {
  const items = [...chunks]
  let next = 0
  return new ReadableStream<T>({
    pull(controller) {
      if (next < items.length) controller.enqueue(items[next++]!)
      else controller.close()
    },
  })
}
