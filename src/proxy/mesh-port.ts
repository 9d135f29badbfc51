// This node's mesh port: where other nodes' meshes reach its replicas. A hop must open
// with a header signed with the cluster's mesh key (mesh-header.ts) within
// MESH_HEADER_TIMEOUT_MS; the replica it names must be one of this node's, found by
// `target`; then the connection is relayed like any other, with the first node's client
// address for a PROXY header. Anything else is closed at once, without a byte.

import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { relay } from './connection.ts'
import type { RouteContext, ServiceCounters } from './connection.ts'
import { LISTEN_BACKLOG, MESH_HEADER_MAX_BYTES, MESH_HEADER_TIMEOUT_MS, MESH_NONCES } from './constants.ts'
import { Endpoint } from './endpoint.ts'
import type { ListenerOwner } from './listener.ts'
import { decodeMeshHeader, MeshHeaderError, NonceCache } from './mesh-header.ts'
import type { MeshRequest } from './mesh-header.ts'
import type { MeshPortInit } from './types.ts'

export interface MeshPortServerInit extends MeshPortInit {
  key: Buffer
  owner: ListenerOwner
  counters: (service: string) => ServiceCounters
}

export class MeshPortServer {
  private readonly init: MeshPortServerInit
  private readonly server: Server
  private readonly nonces = new NonceCache(MESH_NONCES)
  private readonly open = new Set<Socket>()
  private closed = false

  constructor (init: MeshPortServerInit) {
    this.init = init
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => { this.accept(socket) })
    this.server.on('error', (err) => { init.owner.settings.log.error({ err, port: init.port }, 'mesh port error') })
  }

  /** Listens on host:port; rejects with the listen error. */
  async listen (host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen({ host, port: this.init.port, backlog: LISTEN_BACKLOG }, () => {
        this.server.removeListener('error', reject)
        resolve()
      })
    })
  }

  /** Stops accepting and closes every hop at once. */
  close (): void {
    this.closed = true
    if (this.server.listening) this.server.close()
    for (const socket of this.open) socket.destroy()
  }

  private accept (socket: Socket): void {
    const { log } = this.init.owner.settings
    this.open.add(socket)
    socket.once('close', () => { this.open.delete(socket) })
    socket.on('error', () => {})
    let buffered = Buffer.alloc(0)
    const timer = setTimeout(() => { socket.destroy() }, MESH_HEADER_TIMEOUT_MS)
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk])
      let decoded: ReturnType<typeof decodeMeshHeader>
      try {
        decoded = decodeMeshHeader(buffered, this.init.key, this.nonces)
      } catch (err) {
        clearTimeout(timer)
        socket.destroy()
        log.warn({ peer: socket.remoteAddress, err: err instanceof MeshHeaderError ? err.message : String(err) }, 'mesh hop refused')
        return
      }
      if (decoded === undefined) {
        if (buffered.byteLength > MESH_HEADER_MAX_BYTES) socket.destroy()
        return
      }
      clearTimeout(timer)
      socket.removeListener('data', onData)
      socket.pause()
      const rest = buffered.subarray(decoded.bytes)
      if (rest.byteLength > 0) socket.unshift(rest)
      this.hop(socket, decoded.request)
    }
    socket.on('data', onData)
  }

  /** Relays a verified hop to the replica it names, or closes it (the first node tries another). */
  private hop (socket: Socket, request: MeshRequest): void {
    const { owner } = this.init
    const target = this.init.target(request.service, request.slot, request.port)
    const counters = this.init.counters(request.service)
    if (target === undefined || this.closed || !owner.admit()) {
      if (target !== undefined) counters.refused++
      socket.destroy()
      return
    }
    const endpoint = new Endpoint(target)
    const route: RouteContext = {
      service: request.service,
      counters,
      proxyProtocol: request.client !== undefined,
      settings: owner.settings,
      live: [endpoint],
      release: owner.release,
      meshKey: owner.meshKey,
      hop: true
    }
    relay(socket, route, { source: request.source, ...(request.client === undefined ? {} : { client: request.client }) })
  }
}
