/** parseInvalidation: wire events, the claim event included; anything else is `all`. */
import { describe, expect, it } from 'vitest'
import { parseInvalidation } from '../../src/stores/invalidation.js'

describe('parseInvalidation', () => {
  it('reads the claim event', () => {
    expect(parseInvalidation('{"type":"claim","claim":"sid","value":"s-1"}')).toEqual({
      type: 'claim',
      claim: 'sid',
      value: 's-1',
    })
  })

  it.each([
    '{"type":"claim","claim":"sid"}',
    '{"type":"claim","claim":1,"value":"s"}',
    '{"type":"claim","claim":"sid","value":["s"]}',
    '{"type":"unknown"}',
    'not json',
    'null',
  ])('reads %s as all', (text) => {
    expect(parseInvalidation(text)).toEqual({ type: 'all' })
  })
})
