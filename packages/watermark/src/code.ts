// The channel code: 96 information bits (64 payload + CRC-32), whitened, then a rate-1/2
// convolutional code of constraint length 7 (generators 133, 171 octal, the NASA/CCSDS code)
// terminated with 6 zero tail bits: 204 coded bits, decoded with a soft-decision Viterbi decoder.

export const CONSTRAINT = 7
const G0 = 0o133
const G1 = 0o171
const STATES = 1 << (CONSTRAINT - 1)

function parity(x: number): number {
  x ^= x >> 4
  x ^= x >> 2
  x ^= x >> 1
  return x & 1
}

/** Coded length for `infoBits` information bits. */
export function codedLength(infoBits: number): number {
  return (infoBits + CONSTRAINT - 1) * 2
}

/** Encodes bits (0/1) into 2·(n + 6) coded bits. */
export function convEncode(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array(codedLength(bits.length))
  let reg = 0
  for (let i = 0; i < bits.length + CONSTRAINT - 1; i++) {
    const b = i < bits.length ? bits[i]! : 0
    reg = ((reg << 1) | b) & 0x7f
    out[2 * i] = parity(reg & G0)
    out[2 * i + 1] = parity(reg & G1)
  }
  return out
}

/**
 * Soft-decision Viterbi: `soft[k] > 0` favours coded bit 1. Returns the `infoBits` information bits
 * of the terminated path with the largest correlation metric.
 */
export function viterbiDecode(soft: Float64Array, infoBits: number): Uint8Array {
  const steps = infoBits + CONSTRAINT - 1
  let metric = new Float64Array(STATES).fill(-Infinity)
  metric[0] = 0
  let next = new Float64Array(STATES)
  // survivors[step * STATES + state] = the input bit and previous state packed as prev*2+bit
  const back = new Uint16Array(steps * STATES)
  const out0 = new Uint8Array(STATES * 2)
  const out1 = new Uint8Array(STATES * 2)
  for (let s = 0; s < STATES; s++) {
    for (let b = 0; b < 2; b++) {
      const reg = ((s << 1) | b) & 0x7f
      out0[s * 2 + b] = parity(reg & G0)
      out1[s * 2 + b] = parity(reg & G1)
    }
  }
  for (let t = 0; t < steps; t++) {
    next.fill(-Infinity)
    const s0 = soft[2 * t]!
    const s1 = soft[2 * t + 1]!
    const maxBit = t < infoBits ? 1 : 0
    for (let s = 0; s < STATES; s++) {
      const m = metric[s]!
      if (m === -Infinity) continue
      for (let b = 0; b <= maxBit; b++) {
        const ns = ((s << 1) | b) & (STATES - 1)
        const bm = (out0[s * 2 + b]! ? s0 : -s0) + (out1[s * 2 + b]! ? s1 : -s1)
        const v = m + bm
        if (v > next[ns]!) {
          next[ns] = v
          back[t * STATES + ns] = (s << 1) | b
        }
      }
    }
    const tmp = metric
    metric = next
    next = tmp
  }
  const bits = new Uint8Array(steps)
  let state = 0
  for (let t = steps - 1; t >= 0; t--) {
    const v = back[t * STATES + state]!
    bits[t] = v & 1
    state = v >> 1
  }
  return bits.slice(0, infoBits)
}
