// Every way a body can be wrong must come back as a MeshdError naming the field,
// never as zod's wording, never as a partial result.

import { describe, expect, it } from 'vitest'
import { MeshdError } from '../../../src/node/errors.ts'
import { parseScaleRequest, parseServiceSpec } from '../../../src/node/spec/index.ts'
import { DIGEST, deepFreeze, minimalSpec } from './fixtures.ts'

interface BadCase {
  what: string
  input: unknown
  path: string
  /** A fragment the message must contain, when the wording matters. */
  says?: string
}

/** A valid body with some fields replaced. */
const spec = (fields: Record<string, unknown>): Record<string, unknown> => ({ ...minimalSpec(), ...fields })
/** A valid body with a health check on port 80 and some of its fields replaced. */
const health = (fields: Record<string, unknown>): Record<string, unknown> => spec({ health: { type: 'tcp', port: 80, ...fields } })
const portsOf = (count: number) => Array.from({ length: count }, (_, i) => ({ published: 1000 + i, target: 80 }))

const BAD_SPECS: BadCase[] = [
  // The body itself
  { what: 'an array body', input: [], path: '', says: 'spec: expected an object' },
  { what: 'a null body', input: null, path: '', says: 'got null' },
  { what: 'a string body', input: 'web', path: '' },
  { what: 'a number body', input: 42, path: '' },
  { what: 'a boolean body', input: true, path: '' },
  { what: 'no body', input: undefined, path: '' },

  // name
  { what: 'name missing', input: { image: 'nginx' }, path: 'name', says: 'name: missing, expected a DNS label' },
  { what: 'name a number', input: spec({ name: 42 }), path: 'name', says: 'got 42' },
  { what: 'name uppercase', input: spec({ name: 'Web' }), path: 'name', says: 'got "Web"' },
  { what: 'name of 64 characters', input: spec({ name: 'a'.repeat(64) }), path: 'name' },
  { what: 'name with a leading digit', input: spec({ name: '1web' }), path: 'name' },
  { what: 'name ending with -', input: spec({ name: 'web-' }), path: 'name' },
  { what: 'name empty', input: spec({ name: '' }), path: 'name' },
  { what: 'name with _', input: spec({ name: 'my_web' }), path: 'name' },
  { what: 'name with .', input: spec({ name: 'web.app' }), path: 'name' },

  // image
  { what: 'image missing', input: { name: 'web' }, path: 'image', says: 'image: missing' },
  { what: 'image a number', input: spec({ image: 7 }), path: 'image' },
  { what: 'image with an uppercase repository', input: spec({ image: 'Nginx:1.27' }), path: 'image', says: 'lowercase' },
  { what: 'image with a space', input: spec({ image: 'nginx 1.27' }), path: 'image', says: 'whitespace' },
  { what: 'image ":" alone', input: spec({ image: ':' }), path: 'image' },
  { what: 'image empty', input: spec({ image: '' }), path: 'image' },
  { what: 'image with an empty tag', input: spec({ image: 'nginx:' }), path: 'image', says: 'tag' },
  { what: 'image with a 129-character tag', input: spec({ image: `nginx:${'a'.repeat(129)}` }), path: 'image', says: 'tag' },
  { what: 'image with a short digest', input: spec({ image: 'nginx@sha256:abc' }), path: 'image', says: 'digest' },
  { what: 'image with an uppercase digest', input: spec({ image: `nginx@${DIGEST.toUpperCase()}` }), path: 'image', says: 'digest' },
  { what: 'image with a md5 digest', input: spec({ image: `nginx@md5:${'a'.repeat(32)}` }), path: 'image', says: 'digest' },
  { what: 'image with a double separator', input: spec({ image: 'my..app' }), path: 'image' },
  { what: 'image with a trailing slash', input: spec({ image: 'registry:5000/' }), path: 'image' },
  { what: 'image name over 255 characters', input: spec({ image: 'a'.repeat(256) }), path: 'image', says: '255' },

  // command
  { what: 'command a string', input: spec({ command: 'ls -l' }), path: 'command' },
  { what: 'command null', input: spec({ command: null }), path: 'command' },
  { what: 'command with a number', input: spec({ command: ['ls', 1] }), path: 'command[1]', says: 'expected a string, got 1' },
  { what: 'command of 257 items', input: spec({ command: Array.from({ length: 257 }, () => 'x') }), path: 'command' },

  // env
  { what: 'env an array', input: spec({ env: ['A=1'] }), path: 'env' },
  { what: 'env a string', input: spec({ env: 'A=1' }), path: 'env' },
  { what: 'env value a number', input: spec({ env: { FOO: 1 } }), path: 'env.FOO', says: 'env.FOO: expected a string, got 1' },
  { what: 'env value null', input: spec({ env: { FOO: null } }), path: 'env.FOO' },
  { what: 'env key with a leading digit', input: spec({ env: { '1FOO': 'x' } }), path: 'env["1FOO"]' },
  { what: 'env key with -', input: spec({ env: { 'FOO-BAR': 'x' } }), path: 'env["FOO-BAR"]' },
  { what: 'env key empty', input: spec({ env: { '': 'x' } }), path: 'env[""]' },

  // replicas
  { what: 'replicas negative', input: spec({ replicas: -1 }), path: 'replicas' },
  { what: 'replicas fractional', input: spec({ replicas: 1.5 }), path: 'replicas', says: 'replicas: expected an integer between 0 and 1000, got 1.5' },
  { what: 'replicas huge', input: spec({ replicas: 1e9 }), path: 'replicas', says: 'got 1000000000' },
  { what: 'replicas 1001', input: spec({ replicas: 1001 }), path: 'replicas' },
  { what: 'replicas a string', input: spec({ replicas: '3' }), path: 'replicas', says: 'got "3"' },
  { what: 'replicas NaN', input: spec({ replicas: Number.NaN }), path: 'replicas', says: 'got NaN' },
  { what: 'replicas "NaN"', input: spec({ replicas: 'NaN' }), path: 'replicas' },
  { what: 'replicas Infinity', input: spec({ replicas: Number.POSITIVE_INFINITY }), path: 'replicas' },
  { what: 'replicas null', input: spec({ replicas: null }), path: 'replicas', says: 'got null' },
  { what: 'replicas a boolean', input: spec({ replicas: true }), path: 'replicas' },

  // ports
  { what: 'ports an object', input: spec({ ports: { published: 80, target: 80 } }), path: 'ports' },
  { what: 'ports of numbers', input: spec({ ports: [80] }), path: 'ports[0]' },
  { what: 'port 0', input: spec({ ports: [{ published: 0, target: 80 }] }), path: 'ports[0].published' },
  { what: 'port 70000', input: spec({ ports: [{ published: 80, target: 70000 }] }), path: 'ports[0].target' },
  { what: 'port 1.5', input: spec({ ports: [{ published: 1.5, target: 80 }] }), path: 'ports[0].published' },
  { what: 'port "80"', input: spec({ ports: [{ published: '80', target: 80 }] }), path: 'ports[0].published' },
  { what: 'proxyProtocol "yes"', input: spec({ ports: [{ published: 80, target: 80, proxyProtocol: 'yes' }] }), path: 'ports[0].proxyProtocol' },
  { what: 'update.parallelism 0', input: spec({ update: { parallelism: 0 } }), path: 'update.parallelism' },
  { what: 'update.order sideways', input: spec({ update: { order: 'sideways' } }), path: 'update.order' },
  { what: 'update.monitor "soon"', input: spec({ update: { monitor: 'soon' } }), path: 'update.monitor' },
  { what: 'update.maxFailureRatio 2', input: spec({ update: { maxFailureRatio: 2 } }), path: 'update.maxFailureRatio' },
  { what: 'update with an unknown key', input: spec({ update: { speed: 1 } }), path: 'update.speed' },
  { what: 'restart.condition always', input: spec({ restart: { condition: 'always' } }), path: 'restart.condition' },
  { what: 'restart.maxAttempts -1', input: spec({ restart: { maxAttempts: -1 } }), path: 'restart.maxAttempts' },
  { what: 'port without target', input: spec({ ports: [{ published: 80 }] }), path: 'ports[0].target', says: 'missing' },
  { what: 'ports publishing 80 twice', input: spec({ ports: [{ published: 80, target: 80 }, { published: 443, target: 443 }, { published: 80, target: 81 }] }), path: 'ports[2].published', says: 'ports[0]' },
  { what: 'ports with a protocol', input: spec({ ports: [{ published: 53, target: 53, protocol: 'udp' }] }), path: 'ports[0].protocol', says: 'unknown field' },
  { what: 'ports over 64', input: spec({ ports: portsOf(65) }), path: 'ports' },

  // health
  { what: 'health a string', input: spec({ health: 'tcp' }), path: 'health' },
  { what: 'health of an unknown type', input: health({ type: 'udp' }), path: 'health.type', says: '"tcp", "http", "cmd"' },
  { what: 'health without type', input: spec({ health: { port: 80 } }), path: 'health.type', says: 'missing' },
  { what: 'health interval without a unit', input: health({ interval: '5' }), path: 'health.interval', says: 'got "5"' },
  { what: 'health interval negative', input: health({ interval: '-1s' }), path: 'health.interval' },
  { what: 'health interval not a duration', input: health({ interval: 'abc' }), path: 'health.interval' },
  { what: 'health interval zero', input: health({ interval: '0s' }), path: 'health.interval' },
  { what: 'health interval that rounds to zero', input: health({ interval: '250us' }), path: 'health.interval' },
  { what: 'health interval a number', input: health({ interval: 5000 }), path: 'health.interval' },
  { what: 'health interval in days', input: health({ interval: '1d' }), path: 'health.interval' },
  { what: 'health interval over 24h', input: health({ interval: '25h' }), path: 'health.interval' },
  { what: 'health timeout zero', input: health({ timeout: '0ms' }), path: 'health.timeout' },
  { what: 'health startPeriod negative', input: health({ startPeriod: '-1s' }), path: 'health.startPeriod' },
  { what: 'health retries 0', input: health({ retries: 0 }), path: 'health.retries' },
  { what: 'health retries 101', input: health({ retries: 101 }), path: 'health.retries' },
  { what: 'health retries 1.5', input: health({ retries: 1.5 }), path: 'health.retries' },
  { what: 'health port 0', input: health({ port: 0 }), path: 'health.port' },
  { what: 'health tcp without a port and no ports', input: spec({ health: { type: 'tcp' } }), path: 'health.port' },
  { what: 'health http without a port and no ports', input: spec({ health: { type: 'http', path: '/' } }), path: 'health.port' },
  { what: 'health cmd without cmd', input: spec({ health: { type: 'cmd' } }), path: 'health.cmd', says: 'missing' },
  { what: 'health cmd empty', input: spec({ health: { type: 'cmd', cmd: [] } }), path: 'health.cmd', says: 'got an empty array' },
  { what: 'health cmd with a number', input: spec({ health: { type: 'cmd', cmd: ['true', 1] } }), path: 'health.cmd[1]' },
  { what: 'health cmd with an empty program', input: spec({ health: { type: 'cmd', cmd: [''] } }), path: 'health.cmd[0]' },
  { what: 'health cmd with a port', input: spec({ health: { type: 'cmd', cmd: ['true'], port: 80 } }), path: 'health.port' },
  { what: 'health http path without /', input: health({ type: 'http', path: 'healthz' }), path: 'health.path', says: 'starting with "/"' },
  { what: 'health http path with a newline', input: health({ type: 'http', path: '/x\r\nHost: evil' }), path: 'health.path' },
  { what: 'health path on tcp', input: health({ path: '/' }), path: 'health.path', says: 'not allowed' },
  { what: 'health cmd on http', input: health({ type: 'http', cmd: ['true'] }), path: 'health.cmd', says: 'not allowed' },
  { what: 'health with a misspelled field', input: health({ intervall: '5s' }), path: 'health.intervall', says: 'health.intervall: unknown field' },

  // labels
  { what: 'labels key meshd.x', input: spec({ labels: { 'meshd.x': '1' } }), path: 'labels["meshd.x"]', says: 'reserved' },
  { what: 'labels value a number', input: spec({ labels: { tier: 1 } }), path: 'labels.tier' },
  { what: 'labels an array', input: spec({ labels: [] }), path: 'labels' },

  // unknown fields
  { what: 'an unknown top-level field', input: spec({ replica: 3 }), path: 'replica', says: 'replica: unknown field, expected one of name, image' },
  { what: 'privileged (not a meshd field)', input: spec({ privileged: true }), path: 'privileged' },
  { what: 'an unknown field before a bad one', input: { imagee: 'nginx', name: 'web' }, path: 'imagee' },

  // keys that reach Object.prototype
  { what: '__proto__ at the top level', input: JSON.parse('{"__proto__":{"polluted":true},"name":"web","image":"nginx"}'), path: '__proto__', says: '__proto__: forbidden key' },
  { what: '__proto__ in env', input: JSON.parse('{"name":"web","image":"nginx","env":{"__proto__":{"A":"1"}}}'), path: 'env.__proto__' },
  { what: '__proto__ in labels', input: JSON.parse('{"name":"web","image":"nginx","labels":{"__proto__":"x"}}'), path: 'labels.__proto__' },
  { what: '__proto__ in health', input: JSON.parse('{"name":"web","image":"nginx","health":{"type":"tcp","port":80,"__proto__":{}}}'), path: 'health.__proto__' },
  { what: '__proto__ in a port', input: JSON.parse('{"name":"web","image":"nginx","ports":[{"published":80,"target":80,"__proto__":{}}]}'), path: 'ports[0].__proto__' },
  { what: '__proto__ inside a command item', input: JSON.parse('{"name":"web","image":"nginx","command":[{"__proto__":{}}]}'), path: 'command[0].__proto__' },
  { what: 'constructor in labels', input: spec({ labels: { constructor: 'x' } }), path: 'labels.constructor' },
  { what: 'prototype at the top level', input: spec({ prototype: {} }), path: 'prototype' },
  { what: '__proto__ wins over other errors', input: JSON.parse('{"name":"BAD","replicas":-1,"env":{"__proto__":"x"}}'), path: 'env.__proto__' }
]

describe('parseServiceSpec rejects', () => {
  it.each(BAD_SPECS)('$what → $path', ({ input, path, says }) => {
    const error = catchError(() => parseServiceSpec(deepFreeze(input)))
    expect(error).toBeInstanceOf(MeshdError)
    expect(error).toMatchObject({ code: 'MESHD_INVALID_SPEC', path })
    // The message starts with the path (or "spec" for the body) and says what was expected.
    expect(error.message.startsWith(`${path === '' ? 'spec' : path}: `)).toBe(true)
    expect(error.message).toMatch(/expected/)
    expect(error.message).not.toMatch(/Invalid input|Unrecognized key|Too (big|small)|Invalid key/)
    if (says !== undefined) expect(error.message).toContain(says)
  })

  it('has the table this suite promises', () => {
    expect(BAD_SPECS.length).toBeGreaterThanOrEqual(30)
    expect(new Set(BAD_SPECS.map((c) => c.what)).size).toBe(BAD_SPECS.length)
  })

  it('reports the same problem every time for a body with several', () => {
    const body = spec({ name: 'Web', replicas: -1, ports: [{ published: 0, target: 0 }], extra: 1 })
    const paths = Array.from({ length: 5 }, () => catchError(() => parseServiceSpec(body)).path)
    expect(new Set(paths)).toEqual(new Set(['extra']))
  })

  it('lets no __proto__ key reach Object.prototype', () => {
    catchError(() => parseServiceSpec(JSON.parse('{"name":"web","image":"nginx","env":{"__proto__":{"polluted":"yes"}}}')))
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('serialises to the API error body with the path', () => {
    expect(catchError(() => parseServiceSpec(spec({ replicas: 1.5 }))).toJSON()).toEqual({
      error: { code: 'MESHD_INVALID_SPEC', message: 'replicas: expected an integer between 0 and 1000, got 1.5', path: 'replicas' }
    })
  })
})

describe('parseServiceSpec with the name from the URL', () => {
  it('rejects a body that names another service', () => {
    const error = catchError(() => parseServiceSpec({ name: 'api', image: 'nginx' }, { name: 'web' }))
    expect(error).toMatchObject({ code: 'MESHD_NAME_MISMATCH', path: 'name' })
    expect(error.message).toContain('"api"')
    expect(error.message).toContain('"web"')
  })

  it('validates the URL name when the body has none', () => {
    expect(catchError(() => parseServiceSpec({ image: 'nginx' }, { name: 'Bad_Name' }))).toMatchObject({ code: 'MESHD_INVALID_SPEC', path: 'name' })
  })

  it('still rejects a body name of the wrong type', () => {
    expect(catchError(() => parseServiceSpec({ name: 7, image: 'nginx' }, { name: 'web' }))).toMatchObject({ code: 'MESHD_INVALID_SPEC', path: 'name' })
  })
})

const BAD_SCALES: BadCase[] = [
  { what: 'replicas missing', input: {}, path: 'replicas', says: 'replicas: missing' },
  { what: 'replicas a string', input: { replicas: '3' }, path: 'replicas' },
  { what: 'replicas negative', input: { replicas: -1 }, path: 'replicas' },
  { what: 'replicas fractional', input: { replicas: 2.5 }, path: 'replicas' },
  { what: 'replicas over 1000', input: { replicas: 1001 }, path: 'replicas' },
  { what: 'an extra field', input: { replicas: 3, force: true }, path: 'force', says: 'unknown field' },
  { what: 'a null body', input: null, path: '', says: 'body: expected an object' },
  { what: 'an array body', input: [3], path: '' },
  { what: 'a number body', input: 3, path: '' },
  { what: '__proto__', input: JSON.parse('{"replicas":3,"__proto__":{}}'), path: '__proto__' }
]

describe('parseScaleRequest', () => {
  it.each(BAD_SCALES)('rejects $what → $path', ({ input, path, says }) => {
    const error = catchError(() => parseScaleRequest(deepFreeze(input)))
    expect(error).toMatchObject({ code: 'MESHD_INVALID_SPEC', path })
    if (says !== undefined) expect(error.message).toContain(says)
  })

  it.each([0, 1, 1000])('accepts {"replicas": %i}', (replicas) => {
    expect(parseScaleRequest(deepFreeze({ replicas }))).toEqual({ replicas })
  })
})

function catchError (fn: () => unknown): MeshdError {
  try {
    fn()
  } catch (error) {
    if (error instanceof MeshdError) return error
    throw error
  }
  throw new Error('expected a MeshdError, but nothing was thrown')
}
