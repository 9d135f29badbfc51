// A small client of the meshd API for the CLI (connection.ts finds its URL, token and
// CA): API errors turned into one readable line.

import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'

export const DEFAULT_API = 'http://127.0.0.1:7700'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly path?: string

  constructor (status: number, code: string, message: string, path?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.path = path
  }
}

/** Per request: an abort signal, and a version the service must still have (If-Match). */
export interface RequestOptions { signal?: AbortSignal, ifMatch?: string }

export interface ApiClientInit {
  base: string
  token?: string | undefined
  /** The PEM CA of an HTTPS API with a certificate of its own. */
  ca?: Buffer
}

export class ApiClient {
  readonly base: string
  private readonly token?: string | undefined
  private readonly ca?: Buffer | undefined
  private dispatcher: Promise<Dispatcher> | undefined

  constructor (init: ApiClientInit) {
    this.base = init.base.replace(/\/+$/, '')
    this.token = init.token
    this.ca = init.ca
  }

  async get<T> (path: string, opts: { signal?: AbortSignal } = {}): Promise<T> {
    return await this.request<T>('GET', path, undefined, opts)
  }

  async put<T> (path: string, body: unknown, opts: RequestOptions = {}): Promise<T> {
    return await this.request<T>('PUT', path, body, opts)
  }

  async post<T> (path: string, body: unknown, opts: RequestOptions = {}): Promise<T> {
    return await this.request<T>('POST', path, body, opts)
  }

  async delete<T> (path: string, opts: { signal?: AbortSignal } = {}): Promise<T> {
    return await this.request<T>('DELETE', path, undefined, opts)
  }

  /** Sends one request; throws ApiError with the API's message, or a clear error when unreachable. */
  async request<T> (method: string, path: string, body: unknown, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = opts.ifMatch === undefined ? {} : { 'if-match': `"${opts.ifMatch}"` }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await this.send(method, path, { headers, body: body === undefined ? undefined : JSON.stringify(body), signal: opts.signal ?? AbortSignal.timeout(30_000) })
    const text = await response.text()
    if (!response.ok) this.fail(response, text)
    return (text === '' ? undefined : JSON.parse(text)) as T
  }

  /** A streamed answer (a volume archive): its body, once the API said yes. */
  async download (path: string): Promise<Readable> {
    const response = await this.send('GET', path, {})
    if (!response.ok || response.body === null) this.fail(response, await response.text())
    return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream)
  }

  /** A streamed body (a volume archive), answered with JSON. */
  async upload<T> (path: string, body: Readable): Promise<T> {
    const response = await this.send('PUT', path, { headers: { 'content-type': 'application/octet-stream' }, body: Readable.toWeb(body), duplex: 'half' })
    const text = await response.text()
    if (!response.ok) this.fail(response, text)
    return (text === '' ? undefined : JSON.parse(text)) as T
  }

  private async send (method: string, path: string, init: { headers?: Record<string, string>, body?: unknown, signal?: AbortSignal, duplex?: 'half' }): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers }
    if (this.token !== undefined && this.token !== '') headers.authorization = `Bearer ${this.token}`
    // undici is loaded only by a client that needs its own CA: the daemon never pays for it.
    if (this.ca !== undefined) this.dispatcher ??= import('undici').then(({ Agent }) => new Agent({ connect: { ca: this.ca } }))
    const dispatcher = await this.dispatcher
    try {
      return await fetch(`${this.base}${path}`, { ...init, method, headers, ...(dispatcher === undefined ? {} : { dispatcher }) } as RequestInit)
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL/i.test(cause)) {
        throw new Error(`the meshd API at ${this.base} has a certificate this client does not trust (${cause}): pass its CA with --api-ca FILE or MESHD_API_CA`)
      }
      throw new Error(`cannot reach the meshd API at ${this.base} (${cause}): is \`meshd start\` running? Point --api or MESHD_API at it.`)
    }
  }

  private fail (response: Response, text: string): never {
    if (response.status === 401 && this.token === undefined) {
      throw new ApiError(401, 'MESHD_UNAUTHORIZED', 'the API needs a token: set MESHD_TOKEN, pass --api-token, or run on a node as a user who can read DATA_DIR/api.token (--data-dir)')
    }
    let error: { code?: string, message?: string, path?: string } | undefined
    try { error = (JSON.parse(text) as { error?: typeof error }).error } catch { error = undefined }
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? text, error?.path)
  }
}
