// A small time-series chart drawn as SVG: bytes per second (in + out) as a filled area
// and new connections per second as a line, each scaled to its own peak over the window.

import { svg } from './dom.js'

const WIDTH = 240
const HEIGHT = 48

/** An SVG chart of samples ({ time, connections, bytesIn, bytesOut }), oldest first, over `limit` slots. */
export function trafficChart (samples, limit) {
  const step = WIDTH / Math.max(1, limit - 1)
  const offset = (limit - samples.length) * step
  const points = (values) => {
    const peak = Math.max(...values, 0)
    return values.map((v, i) => `${(offset + i * step).toFixed(1)},${(HEIGHT - 2 - (peak === 0 ? 0 : (v / peak) * (HEIGHT - 6))).toFixed(1)}`)
  }
  const traffic = points(samples.map((s) => s.bytesIn + s.bytesOut))
  const connections = points(samples.map((s) => s.connections))
  const area = traffic.length === 0 ? '' : `${offset.toFixed(1)},${HEIGHT} ${traffic.join(' ')} ${WIDTH},${HEIGHT}`
  return svg('svg', { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'bytes and connections per second, last two minutes' },
    svg('line', { class: 'chart-base', x1: 0, y1: HEIGHT - 1, x2: WIDTH, y2: HEIGHT - 1 }),
    area === '' ? null : svg('polygon', { class: 'chart-bytes', points: area }),
    connections.length < 2 ? null : svg('polyline', { class: 'chart-connections', points: connections.join(' ') }))
}
