// stopTermsOf: how long a replica gets to stop, from the release it runs.

import { describe, expect, it } from 'vitest'
import { stopTermsOf } from '../../../src/node/reconciler/remover.ts'
import { service } from '../cluster/helpers.ts'

describe('stopTermsOf', () => {
  it('gives the stopGracePeriod of the release the replica runs, rounded up to seconds', () => {
    const record = service('db', { stopGracePeriod: '1m', volumes: [{ source: 'data', target: '/data' }] }, {
      generation: 2,
      previous: { spec: service('db', { stopGracePeriod: '2500ms' }).spec, generation: 1 }
    })
    expect(stopTermsOf(record, 2)).toStrictEqual({ stateful: true, graceSeconds: 60 })
    expect(stopTermsOf(record, 1)).toStrictEqual({ stateful: false, graceSeconds: 3 })
  })

  it('leaves the grace to the runtime\'s default when the spec says nothing or the service is gone', () => {
    expect(stopTermsOf(service('web'), 1)).toStrictEqual({ stateful: false })
    expect(stopTermsOf(undefined, 1)).toStrictEqual({})
  })
})
