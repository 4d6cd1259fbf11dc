/**
 * Stateless server nonces (RFC 9449 §8-9): a nonce is its time step and an HMAC of it under the
 * configured secret, so every instance sharing the secret issues and accepts the same nonces
 * without a store. A nonce is current during its step and accepted during the next one too, so a
 * client that just got one is not refused at a step boundary.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

const STEP_BYTES = 6
const MAC_BYTES = 16
const NONCE_LENGTH = Math.ceil(((STEP_BYTES + MAC_BYTES) * 4) / 3)

/** Issues and checks the nonces of one secret and step. */
export class NonceIssuer {
  readonly #secret: Buffer
  readonly #stepMs: number

  constructor(secret: string | Uint8Array, stepSeconds: number) {
    this.#secret = Buffer.from(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret)
    this.#stepMs = stepSeconds * 1000
  }

  /** The time step of `nowMs`. */
  step(nowMs: number): number {
    return Math.floor(nowMs / this.#stepMs)
  }

  /** The nonce of the step of `nowMs`. */
  current(nowMs: number): string {
    return this.#nonceOf(this.step(nowMs)).toString('base64url')
  }

  /**
   * The step a nonce was issued in, when it is this issuer's and from the current or the previous
   * step; undefined otherwise (unknown, forged, too old or from the future).
   */
  acceptedStep(nonce: unknown, nowMs: number): number | undefined {
    if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH) return undefined
    const bytes = Buffer.from(nonce, 'base64url')
    if (bytes.length !== STEP_BYTES + MAC_BYTES) return undefined
    const step = bytes.readUIntBE(0, STEP_BYTES)
    const now = this.step(nowMs)
    if (step !== now && step !== now - 1) return undefined
    return timingSafeEqual(bytes, this.#nonceOf(step)) ? step : undefined
  }

  #nonceOf(step: number): Buffer {
    const stepBytes = Buffer.alloc(STEP_BYTES)
    stepBytes.writeUIntBE(step, 0, STEP_BYTES)
    const mac = createHmac('sha256', this.#secret)
      .update('jwt-gate DPoP nonce\0')
      .update(stepBytes)
      .digest()
    return Buffer.concat([stepBytes, mac.subarray(0, MAC_BYTES)])
  }
}
