// The texts the text benchmarks run on: a multilingual paragraph mix, as plain text, Markdown or HTML.
const PARAGRAPH = [
  'Жасанды интеллект туралы заң 2026 жылғы 18 қаңтарда күшіне енді. Өнім иесі әр жарияланымды белгілеуі тиіс; һәм ұлттық талаптар үнемі тексеріледі.',
  'Синтетический контент можно распространять только с машиночитаемой меткой и заметным предупреждением.',
  'Sunʼiy intellekt yordamida yaratilgan matnlar oʻzbek tilida ham belgilanadi; gʻoyalar aniq koʻrsatiladi.',
  '人工智能生成的文本应当在适当位置添加显式标识，并在文件元数据中添加隐式标识。',
  'Plain English text, numbers 12345, and emoji ❤️ 👍🏽 with selectors. الذكاء الاصطناعي. בינה מלאכותית.',
].join('\n')

/** About `bytes` UTF-8 bytes of multilingual text. */
export function largeText(bytes) {
  const unit = PARAGRAPH + '\n\n'
  return unit.repeat(Math.ceil(bytes / new TextEncoder().encode(unit).length))
}

/** The same text as a file of the format: Markdown with front matter, an HTML page of paragraphs. */
export function pageOf(format, text) {
  if (format === 'markdown') return `---\ntitle: Bench\n---\n${text}`
  if (format === 'html') return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bench</title></head><body>${text.split('\n\n').map((p) => `<p>${p}</p>`).join('\n')}</body></html>`
  return text
}
