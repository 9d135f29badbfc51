// Valid bodies: accepted, normalised with the documented defaults, returned as a new
// object, and stable under a second pass.

import { describe, expect, it } from 'vitest'
import { parseServiceSpec } from '../../../src/node/spec/index.ts'
import { DIGEST, deepFreeze, fullSpec, minimalSpec } from './fixtures.ts'

describe('parseServiceSpec accepts', () => {
  it('a minimal body and fills in the defaults', () => {
    expect(parseServiceSpec(deepFreeze(minimalSpec()))).toStrictEqual({
      name: 'web',
      image: 'nginx:1.27',
      env: {},
      replicas: 1,
      ports: [],
      labels: {}
    })
  })

  it('a body with every field, unchanged', () => {
    expect(parseServiceSpec(deepFreeze(fullSpec()))).toStrictEqual(fullSpec())
  })

  it('its own output, unchanged (round trip)', () => {
    for (const body of [minimalSpec(), fullSpec()]) {
      const once = parseServiceSpec(body)
      expect(parseServiceSpec(JSON.parse(JSON.stringify(once)))).toStrictEqual(once)
    }
  })

  it('without mutating the input, and shares nothing with it', () => {
    const body = fullSpec()
    const spec = parseServiceSpec(body)
    expect(body).toStrictEqual(fullSpec())
    expect(spec).not.toBe(body)
    expect(spec.command).not.toBe(body.command)
    expect(spec.env).not.toBe(body.env)
    expect(spec.ports).not.toBe(body.ports)
    expect(spec.ports[0]).not.toBe((body.ports as unknown[])[0])
    expect(spec.health).not.toBe(body.health)
    expect(spec.labels).not.toBe(body.labels)
  })

  it('a health check as written, without injecting defaults', () => {
    const spec = parseServiceSpec({ ...minimalSpec(), ports: [{ published: 80, target: 8080 }], health: { type: 'tcp' } })
    expect(spec.health).toStrictEqual({ type: 'tcp' })
    expect(spec).not.toHaveProperty('command')
  })

  it('leaves out optional fields given as undefined', () => {
    const spec = parseServiceSpec({ ...minimalSpec(), command: undefined, health: undefined, replicas: undefined })
    expect(Object.keys(spec)).toEqual(['name', 'image', 'env', 'replicas', 'ports', 'labels'])
  })

  it('returns plain objects with the ordinary prototype', () => {
    const spec = parseServiceSpec(fullSpec())
    for (const value of [spec, spec.env, spec.labels, spec.health]) {
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    }
  })

  it.each(['a', 'web-1', 'x1-2-3', 'a'.repeat(63)])('the name %s', (name) => {
    expect(parseServiceSpec({ name, image: 'nginx' }).name).toBe(name)
  })

  it.each([0, 1, 1000])('%i replicas', (replicas) => {
    expect(parseServiceSpec({ ...minimalSpec(), replicas }).replicas).toBe(replicas)
  })

  it.each([
    { type: 'tcp', port: 5432 },
    { type: 'http', path: '/', interval: '1.5s', timeout: '250ms', retries: 1, startPeriod: '0s' },
    { type: 'cmd', cmd: ['pg_isready', '-U', 'postgres'], interval: '1h', timeout: '24h', retries: 100 }
  ])('the health check %j', (health) => {
    const body = { ...minimalSpec(), ports: [{ published: 5432, target: 5432 }], health }
    expect(parseServiceSpec(body).health).toStrictEqual(health)
  })

  it('env keys and labels at the edges of the rules', () => {
    const env = { _: '', a1: 'x', A_B_9: 'y=z' }
    const labels = { meshd: 'not the prefix', 'meshdx.y': 'neither', 'com.example/x': 'any key' }
    const spec = parseServiceSpec({ ...minimalSpec(), env, labels })
    expect(spec.env).toStrictEqual(env)
    expect(spec.labels).toStrictEqual(labels)
  })

  it('64 ports and the same target behind two published ports', () => {
    const ports = Array.from({ length: 64 }, (_, i) => ({ published: 10_000 + i, target: 80 }))
    expect(parseServiceSpec({ ...minimalSpec(), ports }).ports).toStrictEqual(ports)
  })

  it('a command of 256 items, and an empty one', () => {
    const command = Array.from({ length: 256 }, (_, i) => `arg${i}`)
    expect(parseServiceSpec({ ...minimalSpec(), command }).command).toStrictEqual(command)
    expect(parseServiceSpec({ ...minimalSpec(), command: [] }).command).toStrictEqual([])
  })

  it.each([
    'nginx',
    'nginx:1.27',
    'library/nginx',
    'docker.io/library/nginx:latest',
    'localhost:5000/app',
    'localhost:5000',
    'registry.example.com:5000/team/app:v1.2.3-rc_1',
    'MyRegistry.io/app',
    '[::1]:5000/app:dev',
    'a__b/c--d.e_f',
    `ghcr.io/owner/repo@${DIGEST}`,
    `nginx:1.27@${DIGEST}`,
    `nginx:${'a'.repeat(128)}`,
    'a'.repeat(255)
  ])('the image %s', (image) => {
    expect(parseServiceSpec({ name: 'web', image }).image).toBe(image)
  })
})

describe('parseServiceSpec with the name from the URL', () => {
  it('takes the name from the URL when the body has none', () => {
    expect(parseServiceSpec(deepFreeze({ image: 'nginx' }), { name: 'web' })).toMatchObject({ name: 'web', image: 'nginx' })
  })

  it('accepts a body that names the same service', () => {
    expect(parseServiceSpec({ name: 'web', image: 'nginx' }, { name: 'web' }).name).toBe('web')
  })
})
