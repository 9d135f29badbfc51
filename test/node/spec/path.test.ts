import { describe, expect, it } from 'vitest'
import { formatPath } from '../../../src/node/spec/path.ts'

describe('formatPath', () => {
  it.each([
    [[], ''],
    [['replicas'], 'replicas'],
    [['ports', 1, 'published'], 'ports[1].published'],
    [['health', 'interval'], 'health.interval'],
    [['env', 'FOO'], 'env.FOO'],
    [['env', '__proto__'], 'env.__proto__'],
    [['labels', 'meshd.x'], 'labels["meshd.x"]'],
    [['env', '1X'], 'env["1X"]'],
    [['env', ''], 'env[""]'],
    [['labels', 'say "hi"'], 'labels["say \\"hi\\""]'],
    [['command', 0, '__proto__'], 'command[0].__proto__']
  ])('%j → %s', (segments, path) => {
    expect(formatPath(segments as Array<string | number>)).toBe(path)
  })
})
