// A small client of the meshd API for the CLI: base URL from --api or MESHD_API,
// bearer token from MESHD_TOKEN, API errors turned into one readable line.

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

export class ApiClient {
  readonly base: string
  private readonly token?: string

  constructor (base = process.env.MESHD_API ?? DEFAULT_API, token = process.env.MESHD_TOKEN) {
    this.base = base.replace(/\/+$/, '')
    this.token = token
  }

  async get<T> (path: string, opts: { signal?: AbortSignal } = {}): Promise<T> {
    return await this.request<T>('GET', path, undefined, opts)
  }

  async put<T> (path: string, body: unknown, opts: { signal?: AbortSignal } = {}): Promise<T> {
    return await this.request<T>('PUT', path, body, opts)
  }

  async post<T> (path: string, body: unknown, opts: { signal?: AbortSignal } = {}): Promise<T> {
    return await this.request<T>('POST', path, body, opts)
  }

  async delete<T> (path: string, opts: { signal?: AbortSignal } = {}): Promise<T> {
    return await this.request<T>('DELETE', path, undefined, opts)
  }

  /** Sends one request; throws ApiError with the API's message, or a clear error when unreachable. */
  async request<T> (method: string, path: string, body: unknown, opts: { signal?: AbortSignal } = {}): Promise<T> {
    const headers: Record<string, string> = {}
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.token !== undefined && this.token !== '') headers.authorization = `Bearer ${this.token}`
    let response: Response
    try {
      response = await fetch(`${this.base}${path}`, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: opts.signal ?? AbortSignal.timeout(30_000)
      })
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message
      throw new Error(`cannot reach the meshd API at ${this.base} (${cause}): is \`meshd start\` running? Point --api or MESHD_API at it.`)
    }
    const text = await response.text()
    const parsed = text === '' ? undefined : JSON.parse(text) as unknown
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string, message?: string, path?: string } } | undefined)?.error
      throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? text, error?.path)
    }
    return parsed as T
  }
}
