// The dashboard's files through fastify's inject: open (no token), behind the Host check,
// with a strict Content-Security-Policy, only the files of src/node/ui/assets/, and
// nothing in them that could turn data into markup or load from another origin.

import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { ClusterDocument } from '../../../src/crdt/index.ts'
import { buildApi } from '../../../src/node/api/index.ts'
import { TokenIndex } from '../../../src/node/auth/index.ts'
import { clusterView } from '../../../src/node/cluster/index.ts'
import { uiFileNames } from '../../../src/node/ui/index.ts'
import { silent } from '../../support/logger.ts'

const document = new ClusterDocument({ log: silent })
const tokens = new TokenIndex(document)
tokens.start()
const app = buildApi({
  host: '127.0.0.9', port: 7700, node: { id: 'n1', name: 'n1' }, document,
  view: () => clusterView(document.snapshot(), 'n1', () => 'alive', Date.now()),
  log: silent, tokens,
  front: { host: '127.0.0.9', port: 7700, hostNames: [], allowOrigins: [] }
})
const get = async (url: string, headers: Record<string, string> = {}) => await app.inject({ method: 'GET', url, headers: { host: '127.0.0.9:7700', ...headers } })
const assets = new URL('../../../src/node/ui/assets/', import.meta.url)

describe('the dashboard\'s files', () => {
  afterAll(async () => { await app.close() })

  it('serves the page at / without a token, with a policy that allows only this origin\'s scripts and styles', async () => {
    const page = await get('/')
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toMatch(/unsafe-|\*|https?:/)
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.body).toContain('<script type="module" src="/ui/app.js"></script>')
  })

  it('serves every file of assets/ at /ui/NAME with its type, and nothing else', async () => {
    expect(uiFileNames()).toEqual(readdirSync(assets).sort())
    for (const name of uiFileNames()) {
      const file = await get(`/ui/${name}`)
      expect(file.statusCode, name).toBe(200)
      expect(file.headers['content-security-policy'], name).toBeDefined()
    }
    expect((await get('/ui/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8')
    for (const url of ['/ui/nope.js', '/ui/..%2Ffiles.ts', '/ui/%2E%2E%2Findex.ts', '/ui/']) expect((await get(url)).statusCode, url).toBe(404)
  })

  it('answers 304 to a browser that has the file already', async () => {
    const first = await get('/ui/style.css')
    expect((await get('/ui/style.css', { 'if-none-match': String(first.headers.etag) })).statusCode).toBe(304)
  })

  it('keeps the Host check: a rebinding name gets nothing', async () => {
    expect((await get('/', { host: 'rebind.example' })).statusCode).toBe(403)
  })

  it('has no inline script or style, no markup from strings, nothing from another origin', () => {
    const html = readFileSync(new URL('index.html', assets), 'utf8')
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/ui/app.js">'])
    expect(html).not.toMatch(/\sstyle=|\son\w+=|<style/i)
    for (const name of readdirSync(assets)) {
      const text = readFileSync(new URL(name, assets), 'utf8')
      expect(text, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\('style'/)
      // The SVG namespace is a name, not a fetch.
      expect(text.replaceAll('http://www.w3.org/2000/svg', ''), name).not.toMatch(/https?:\/\//)
    }
  })
})
