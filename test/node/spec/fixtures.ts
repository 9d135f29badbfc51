// Shared inputs for the spec tests: a minimal valid body and one that uses every field.

export const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`

/** The smallest valid body. */
export function minimalSpec (): Record<string, unknown> {
  return { name: 'web', image: 'nginx:1.27' }
}

/** A valid body with every field, already in normalised form (so it must round-trip unchanged). */
export function fullSpec (): Record<string, unknown> {
  return {
    name: 'api-2',
    image: `registry.example.com:5000/team/api:v1.2.3@${DIGEST}`,
    command: ['node', 'server.js', '--port', '8080'],
    env: { NODE_ENV: 'production', _DEBUG: '', PORT: '8080' },
    replicas: 3,
    ports: [{ published: 8080, target: 8080 }, { published: 9090, target: 9100 }],
    health: {
      type: 'http',
      port: 8080,
      path: '/healthz?full=1',
      interval: '5s',
      timeout: '500ms',
      retries: 5,
      startPeriod: '1m30s'
    },
    labels: { 'com.example.team': 'payments', tier: 'backend' },
    volumes: [{ source: 'data', target: '/var/lib/data' }, { source: 'seed-2', target: '/seed', readOnly: true, onNodeLoss: 'restore' }],
    tmpfs: [{ target: '/tmp' }, { target: '/run/cache', size: 64 * 2 ** 20 }],
    backup: { every: '1h', keep: 24, command: ['sh', '-c', 'sync'] }
  }
}

/** Freezes `value` and everything in it, so any write by the code under test throws. */
export function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const item of Object.values(value)) deepFreeze(item)
  }
  return value
}
