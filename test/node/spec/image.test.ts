import { describe, expect, it } from 'vitest'
import { imageReferenceProblem } from '../../../src/node/spec/image.ts'
import { DIGEST } from './fixtures.ts'

describe('imageReferenceProblem', () => {
  it.each([
    'busybox',
    'busybox:1.36',
    'library/busybox',
    'docker.io/library/busybox:latest',
    'localhost/app',
    'localhost:5000/app:1',
    '192.168.1.10:5000/team/app',
    '[2001:db8::1]:5000/app',
    'registry-1.example.com/a/b/c/d',
    'a.b_c__d---e/f',
    `app@${DIGEST}`,
    `app:tag@${DIGEST}`,
    'app:_internal',
    'app:v1.0-RC.1'
  ])('accepts %s', (reference) => {
    expect(imageReferenceProblem(reference)).toBeUndefined()
  })

  it.each([
    ['', 'empty'],
    ['busybox latest', 'whitespace'],
    ['busybox\n', 'whitespace'],
    ['busybox\u0000', 'control'],
    [':', 'missing'],
    [':latest', 'missing'],
    ['@' + DIGEST, 'missing'],
    ['Busybox', 'lowercase'],
    ['team/App:1', 'lowercase'],
    ['a'.repeat(256), '255'],
    ['busybox:', 'tag'],
    ['busybox:.hidden', 'tag'],
    ['busybox:-x', 'tag'],
    [`busybox:${'a'.repeat(129)}`, 'tag'],
    ['busybox@', 'digest'],
    ['busybox@sha256:abc', 'digest'],
    [`busybox@sha512:${'a'.repeat(128)}`, 'digest'],
    [`busybox@${DIGEST}0`, 'digest'],
    ['-busybox', 'not'],
    ['busybox-', 'not'],
    ['bu..sybox', 'not'],
    ['bu___sybox', 'not'],
    ['team//app', 'not'],
    ['app/', 'not'],
    ['host:port/app', 'not'],
    ['-host.com/app', 'not']
  ])('rejects %j (%s)', (reference, reason) => {
    expect(imageReferenceProblem(reference)).toContain(reason)
  })

  it('answers quickly on long adversarial names', () => {
    const started = performance.now()
    for (const reference of ['a.'.repeat(127) + '!', 'a-'.repeat(127) + '/', 'a'.repeat(120) + '.' + 'b'.repeat(120) + '/']) {
      imageReferenceProblem(reference)
    }
    expect(performance.now() - started).toBeLessThan(5000) // catastrophic backtracking would take minutes
  })
})
