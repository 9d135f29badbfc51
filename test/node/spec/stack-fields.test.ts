// The process and stack fields of a spec: entrypoint, user, workingDir, stopSignal,
// stopGracePeriod, stack and dependsOn; and that a peer's stored spec with them is screened alike.

import { describe, expect, it } from 'vitest'
import { parseServiceSpec, stopGraceSeconds, storedSpecProblem } from '../../../src/node/spec/index.ts'
import { refusal } from '../../support/refusal.ts'
import { recordProblem } from '../../../src/node/trust/index.ts'

const base = { name: 'shop-web', image: 'nginx:1.27' }

function rejection (input: unknown): { code: string, path?: string, message: string } {
  return refusal(() => parseServiceSpec(input))
}

const full = {
  ...base,
  entrypoint: ['/docker-entrypoint.sh'],
  user: '1000:1000',
  workingDir: '/srv/app',
  stopSignal: 'SIGQUIT',
  stopGracePeriod: '1m30s',
  stack: 'shop',
  dependsOn: [{ service: 'shop-db', condition: 'healthy' }, { service: 'shop-cache' }]
}

describe('process and stack fields', () => {
  it('keeps what was written, fills in condition "started" and sorts dependsOn by service', () => {
    const spec = parseServiceSpec(full)
    expect(spec).toMatchObject({ entrypoint: ['/docker-entrypoint.sh'], user: '1000:1000', workingDir: '/srv/app', stopSignal: 'SIGQUIT', stopGracePeriod: '1m30s', stack: 'shop' })
    expect(spec.dependsOn).toEqual([{ service: 'shop-cache', condition: 'started' }, { service: 'shop-db', condition: 'healthy' }])
    expect(Object.keys(parseServiceSpec(base))).not.toEqual(expect.arrayContaining(['entrypoint', 'user', 'stack', 'dependsOn']))
  })

  it('keeps an empty entrypoint (it resets the image\'s), and drops an empty dependsOn', () => {
    const spec = parseServiceSpec({ ...base, entrypoint: [], dependsOn: [] })
    expect(spec.entrypoint).toEqual([])
    expect('dependsOn' in spec).toBe(false)
  })

  it.each(['0', 'postgres', '1000:1000', 'www-data:www-data', 'app.user'])('accepts user %j', (user) => {
    expect(parseServiceSpec({ ...base, user }).user).toBe(user)
  })

  it.each([
    [{ entrypoint: 'sh' }, 'entrypoint'],
    [{ entrypoint: ['sh', 1] }, 'entrypoint[1]'],
    [{ user: '' }, 'user'],
    [{ user: 'root;rm' }, 'user'],
    [{ user: '1000:' }, 'user'],
    [{ user: 'a b' }, 'user'],
    [{ user: 1000 }, 'user'],
    [{ workingDir: 'app' }, 'workingDir'],
    [{ workingDir: '/app/../etc' }, 'workingDir'],
    [{ workingDir: '/app\nx' }, 'workingDir'],
    [{ stopSignal: 'TERM' }, 'stopSignal'],
    [{ stopSignal: 'SIGSTOP' }, 'stopSignal'],
    [{ stopSignal: 15 }, 'stopSignal'],
    [{ stopGracePeriod: '10' }, 'stopGracePeriod'],
    [{ stopGracePeriod: '2h' }, 'stopGracePeriod'],
    [{ stopGracePeriod: 10 }, 'stopGracePeriod'],
    [{ stack: 'Shop' }, 'stack'],
    [{ stack: 'shop-' }, 'stack'],
    [{ stack: 'shop_x' }, 'stack'],
    [{ stack: 'web' }, 'name'],
    [{ stack: 'shop-web' }, 'name'],
    [{ dependsOn: 'shop-db' }, 'dependsOn'],
    [{ dependsOn: ['shop-db'] }, 'dependsOn[0]'],
    [{ dependsOn: [{ service: 'Shop_db' }] }, 'dependsOn[0].service'],
    [{ dependsOn: [{ service: 'shop-db', condition: 'completed' }] }, 'dependsOn[0].condition'],
    [{ dependsOn: [{ service: 'shop-db', restart: true }] }, 'dependsOn[0].restart'],
    [{ dependsOn: [{ service: 'shop-web' }] }, 'dependsOn[0].service'],
    [{ dependsOn: [{ service: 'shop-db' }, { service: 'shop-db', condition: 'healthy' }] }, 'dependsOn[1].service']
  ])('rejects %j at %s', (fields, path) => {
    const error = rejection({ ...base, ...fields })
    expect(error.code).toBe('MESHD_INVALID_SPEC')
    expect(error.path).toBe(path)
    expect(error.message.startsWith(path)).toBe(true)
  })

  it('accepts workingDir "/" and stopGracePeriod "0s" and "1h"', () => {
    expect(parseServiceSpec({ ...base, workingDir: '/', stopGracePeriod: '0s' })).toMatchObject({ workingDir: '/', stopGracePeriod: '0s' })
    expect(parseServiceSpec({ ...base, stopGracePeriod: '1h' }).stopGracePeriod).toBe('1h')
  })

  it('screens a peer\'s stored spec: the new fields pass, a bad one or an unsorted dependsOn does not', () => {
    const stored = parseServiceSpec(full)
    expect(storedSpecProblem(stored, 'shop-web')).toBeUndefined()
    expect(storedSpecProblem({ ...stored, stopSignal: 'SIGSEGV' }, 'shop-web')).toMatch(/^spec\.stopSignal/)
    expect(storedSpecProblem({ ...stored, stack: 'other' }, 'shop-web')).toMatch(/^spec\.name/)
    expect(storedSpecProblem({ ...stored, dependsOn: [...stored.dependsOn!].reverse() }, 'shop-web')).toContain('not in the form')
    expect(storedSpecProblem({ ...stored, dependsOn: [{ service: 'shop-db' }] }, 'shop-web')).toContain('not in the form')
    // The same through trust's screen of a peer's service record, the previous spec too.
    const record = { spec: stored, generation: 2, previous: { spec: stored, generation: 1 }, createdAt: 0, updatedAt: 0 }
    expect(recordProblem('services', 'shop-web', record)).toBeUndefined()
    expect(recordProblem('services', 'shop-web', { ...record, previous: { spec: { ...stored, user: 'a b' }, generation: 1 } })).toMatch(/^previous\.spec\.user/)
  })

  it.each([[undefined, undefined], ['0s', 0], ['500ms', 1], ['10s', 10], ['1m30s', 90], ['1h', 3600]])('gives a stopGracePeriod of %j %j seconds', (stopGracePeriod, seconds) => {
    expect(stopGraceSeconds(stopGracePeriod === undefined ? {} : { stopGracePeriod })).toBe(seconds)
  })
})
