// The two lanes of integration files (test/integration/lane-b.txt) run at the same time:
// a loopback address used by files of both lanes would let one file's daemons, listeners
// or faults meet another's. Every 127.0.0.N an integration file (or a support file of its
// folder) names must belong to one lane only (a file run alone after both may share one);
// the files that add iptables rules share a lane; the mDNS test runs alone (solo.txt).

import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const listed = (name: string): Set<string> => new Set(readFileSync(join(root, `test/integration/${name}`), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#')))
const laneB = listed('lane-b.txt')
const solo = listed('solo.txt')
const laneOfTest = (file: string): string => solo.has(file) ? 'solo' : laneB.has(file) ? 'B' : 'A'

function files (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [])
}

describe('integration lanes', () => {
  const all = files(join(root, 'test/integration')).map((file) => relative(root, file))
  const tests = all.filter((file) => file.endsWith('.test.ts'))

  it('lists only integration test files that exist, each in one list', () => {
    expect([...laneB, ...solo].filter((file) => !tests.includes(file))).toEqual([])
    expect([...solo].filter((file) => laneB.has(file))).toEqual([])
  })

  it('keeps every loopback address an integration file uses in one lane', () => {
    const laneOf = (file: string): string => {
      // A support file (suite, context) belongs to the lane of its folder's test files.
      const owners = file.endsWith('.test.ts') ? [file] : tests.filter((t) => t.startsWith(file.slice(0, file.lastIndexOf('/') + 1)))
      const lanes = new Set(owners.map(laneOfTest))
      return lanes.size === 1 ? [...lanes][0]! : 'both'
    }
    const users = new Map<string, Set<string>>()
    for (const file of all) {
      for (const address of new Set(readFileSync(join(root, file), 'utf8').match(/127\.0\.0\.\d+/g) ?? [])) {
        users.set(address, new Set([...users.get(address) ?? [], laneOf(file)]))
      }
    }
    const shared = [...users].filter(([, lanes]) => (lanes.size > 1 && !(lanes.size === 2 && lanes.has('solo'))) || lanes.has('both')).map(([address]) => address)
    expect(shared).toEqual([])
  })

  it('keeps the files that change iptables in one lane, and runs the one with a network namespace alone', () => {
    const faults = tests.filter((file) => readFileSync(join(root, file), 'utf8').includes('support/network.ts'))
    expect(faults.length).toBeGreaterThan(1)
    expect(new Set(faults.map(laneOfTest)).size).toBe(1)
    const namespaces = tests.filter((file) => readFileSync(join(root, file), 'utf8').includes('netns'))
    expect(namespaces.length).toBeGreaterThan(0)
    expect(namespaces.every((file) => solo.has(file))).toBe(true)
  })
})
