// The routes of volume archives and backups: behind the token and the `volumes`
// permission (operator, admin), bad input answered 4xx with nothing done, and a good
// request handed to the node's volume archives.

import { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { MeshdError } from '../../../src/node/errors.ts'
import { apiFixture } from '../../support/api.ts'

const calls: string[] = []
const { app, operator, deployer, viewer } = apiFixture({
  volumeArchives: {
    archive: async (service, slot, source) => {
      if (service !== 'db') throw new MeshdError('MESHD_SERVICE_NOT_FOUND', `no service "${service}"`, 'name')
      calls.push(`archive ${service} ${slot} ${source}`)
      return Readable.from([Buffer.from('sealed')])
    },
    restore: async (service, slot, source, body) => {
      let bytes = 0
      for await (const chunk of body) bytes += (chunk as Buffer).byteLength
      calls.push(`restore ${service} ${slot} ${source} ${bytes}`)
    }
  }
})
const path = '/v1/services/db/volumes/data/archive'
const call = async (method: 'GET' | 'PUT', url: string, token?: string, payload?: string) => await app.inject({
  method, url, payload,
  headers: { host: '127.0.0.9:7700', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(payload === undefined ? {} : { 'content-type': 'application/octet-stream' }) }
})

describe('volume archive routes', () => {
  afterAll(async () => { await app.close() })

  it('need a token and the volumes permission (operator, admin), and do nothing otherwise', async () => {
    expect((await call('GET', `${path}?slot=0`)).statusCode).toBe(401)
    expect((await call('GET', `${path}?slot=0`, viewer)).statusCode).toBe(403)
    expect((await call('PUT', `${path}?slot=0`, deployer, 'archive')).statusCode).toBe(403)
    expect(calls).toEqual([])
  })

  it('answer a bad slot 400 and an unknown service 404, doing nothing', async () => {
    for (const slot of ['-1', 'x', '1.5', '01']) {
      const answer = await call('GET', `${path}?slot=${slot}`, operator)
      expect(answer.statusCode, slot).toBe(400)
      expect(answer.json().error.path).toBe('slot')
    }
    expect((await call('PUT', `${path}?slot=x`, operator, 'archive')).statusCode).toBe(400)
    expect((await call('GET', '/v1/services/nope/volumes/data/archive', operator)).statusCode).toBe(404)
    expect(calls).toEqual([])
  })

  it('stream an archive out and one in for an operator', async () => {
    const out = await call('GET', `${path}?slot=2`, operator)
    expect(out.statusCode).toBe(200)
    expect(out.headers['content-type']).toBe('application/octet-stream')
    expect(out.body).toBe('sealed')
    const put = await call('PUT', `${path}?slot=2`, operator, 'archive bytes')
    expect(put.statusCode).toBe(200)
    expect(put.json()).toEqual({ service: 'db', slot: 2, volume: 'data', restored: true })
    expect(calls).toEqual(['archive db 2 data', 'restore db 2 data 13'])
  })

  it('list stored backups for any reader', async () => {
    expect((await call('GET', '/v1/backups', viewer)).json()).toEqual([])
    expect((await call('GET', '/v1/backups')).statusCode).toBe(401)
  })
})
