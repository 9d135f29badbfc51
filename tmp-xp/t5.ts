import { createServer, request } from 'node:http'
import { randomBytes } from 'node:crypto'
import { pipeline, Writable } from 'node:stream'
import { FrameSealer, FrameOpener } from '../src/node/transfer/frames.ts'
import { hostArchive } from '../src/node/runtime/host-tar.ts'
const key = randomBytes(32)
const MP = process.argv[2]!
const server = createServer((req, res) => {
  const src = hostArchive(MP)
  res.writeHead(200, { 'content-type': 'application/octet-stream' })
  const sealer = new FrameSealer(key)
  pipeline(src, sealer, () => {})
  pipeline(sealer, res, () => {})
}).listen(0, '127.0.0.1')
await new Promise(r => server.once('listening', r))
const port = (server.address() as any).port
const pull = () => new Promise<any>((resolve) => request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => { const o = new FrameOpener(key, 'x'); pipeline(res, o, () => {}); resolve(o) }).end())
const times = []
for (let i = 0; i < 5; i++) {
  let t = Date.now(); const o = await pull()
  await new Promise(r => o.pipe(new Writable({ write (ch, _e, cb) { cb() } })).on('finish', r))
  times.push(Date.now() - t)
}
console.log(process.execArgv.join(' ') || 'default', times.join(' '))
server.close()
