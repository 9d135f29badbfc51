// `meshd top`'s table: one row per replica, CPU share and time, memory in MiB, and the
// members that did not answer named after it.

import { describe, expect, it } from 'vitest'
import { formatStats } from '../../../src/node/cli/top.ts'

describe('meshd top', () => {
  it('shows each replica\'s CPU and memory, then the unreachable members', () => {
    const text = formatStats({
      replicas: [
        { service: 'web', slot: 0, node: 'node-1', container: 'abcdefabcdef', cpuPercent: 12.34, cpuSeconds: 75.5, memoryBytes: 5 * 1024 * 1024 },
        { service: 'web', slot: 1, node: 'node-2', container: '0123456789ab', cpuPercent: 0, cpuSeconds: 3.25, memoryBytes: 2 * 1024 ** 3 }
      ],
      unreachable: ['node-3']
    })
    expect(text.split('\n')).toEqual([
      'REPLICA   NODE     CONTAINER      CPU     CPU TIME   MEMORY',
      'web.0     node-1   abcdefabcdef   12.3%   1m15s      5.0 MiB',
      'web.1     node-2   0123456789ab   0.0%    3.3s       2.00 GiB',
      'node-3: unreachable',
      ''
    ])
  })
})
