// Acceptance 1 of issue 16: real Compose files from docker/awesome-compose and
// dockersamples/example-voting-app (test/fixtures/compose/README.md says which and how
// they were changed) → the meshd
// specs of the stack, and a note at the right line for every key meshd does not honour.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { composeStack, ComposeError } from '../../../src/node/compose/index.ts'
import type { ComposeStack } from '../../../src/node/compose/index.ts'
import { parseServiceSpec } from '../../../src/node/spec/index.ts'
import { service, where } from './helpers.ts'

const fixtures = fileURLToPath(new URL('../../fixtures/compose/', import.meta.url))
// Local images in place of the originals, through the files' own interpolation.
const env = { DB_IMAGE: 'meshd/postgres:15', BACKEND_IMAGE: 'meshd/busybox:latest', PROXY_IMAGE: 'meshd/busybox:latest', FRONTEND_IMAGE: 'meshd/busybox:latest' }

function load (dir: string, opts: { strict?: boolean, name?: string } = {}, name = 'compose.yaml'): ComposeStack {
  const base = join(fixtures, dir)
  return composeStack({
    file: `${dir}/${name}`,
    text: readFileSync(join(base, name), 'utf8'),
    directoryName: dir,
    env,
    readFile: (path) => readFileSync(join(base, path)),
    ...opts
  })
}

const BUILD = 'meshd runs images and builds none: build and push the image, then name it in image:'
const BIND = 'a bind mount reaches into one machine\'s files, and replicas run on any node: use a named volume, or a config or secret for a file'
const NETWORKS = 'meshd has one mesh network: every service of the stack reaches the others by their short name; restrict who may connect with x-meshd.allowFrom'

describe('real Compose files', () => {
  it('nginx-golang-postgres: a secret from a file, a named volume, a healthcheck and depends_on service_healthy', () => {
    const stack = load('nginx-golang-postgres')
    expect(stack.name).toBe('nginx-golang-postgres') // the directory's name: the file has no name:
    expect(stack.secrets).toEqual([{ name: 'nginx-golang-postgres-db-password', data: Buffer.from('db-frknz').toString('base64') }])
    expect(stack.configs).toEqual([])
    const secrets = [{ source: 'nginx-golang-postgres-db-password', target: 'db-password' }]
    expect(stack.services).toEqual([
      {
        name: 'nginx-golang-postgres-backend',
        stack: 'nginx-golang-postgres',
        image: 'meshd/busybox:latest',
        secrets,
        dependsOn: [{ service: 'nginx-golang-postgres-db', condition: 'healthy' }]
      },
      {
        name: 'nginx-golang-postgres-db',
        stack: 'nginx-golang-postgres',
        image: 'meshd/postgres:15',
        env: { POSTGRES_DB: 'example', POSTGRES_PASSWORD_FILE: '/run/secrets/db-password' },
        ports: [{ target: 5432 }],
        health: { type: 'cmd', cmd: ['pg_isready'], interval: '10s', timeout: '5s', retries: 5 },
        restart: { condition: 'any' },
        user: 'postgres',
        volumes: [{ source: 'db-data', target: '/var/lib/postgresql/data' }],
        secrets
      },
      {
        name: 'nginx-golang-postgres-proxy',
        stack: 'nginx-golang-postgres',
        image: 'meshd/busybox:latest',
        ports: [{ published: 80, target: 80 }],
        dependsOn: [{ service: 'nginx-golang-postgres-backend', condition: 'started' }]
      }
    ])
    expect(stack.notes).toEqual([
      { file: 'nginx-golang-postgres/compose.yaml', line: 4, column: 5, path: 'services.backend.build', why: BUILD },
      { file: 'nginx-golang-postgres/compose.yaml', line: 35, column: 9, path: 'services.proxy.volumes[0]', why: BIND }
    ])
  })

  it('nginx-flask-mysql: CMD-SHELL with $$, start_period, expose, and networks noted', () => {
    const stack = load('nginx-flask-mysql')
    expect(service(stack, 'db')).toEqual({
      name: 'nginx-flask-mysql-db',
      stack: 'nginx-flask-mysql',
      image: 'meshd/postgres:15',
      command: ['--default-authentication-plugin=mysql_native_password'],
      env: { MYSQL_DATABASE: 'example', MYSQL_ROOT_PASSWORD_FILE: '/run/secrets/db-password' },
      ports: [{ target: 3306 }, { target: 33060 }],
      health: { type: 'cmd', cmd: ['/bin/sh', '-c', 'mysqladmin ping -h 127.0.0.1 --password="$(cat /run/secrets/db-password)" --silent'], interval: '3s', retries: 5, startPeriod: '30s' },
      restart: { condition: 'any' },
      volumes: [{ source: 'db-data', target: '/var/lib/mysql' }],
      secrets: [{ source: 'nginx-flask-mysql-db-password', target: 'db-password' }]
    })
    expect(service(stack, 'backend')).toMatchObject({ ports: [{ published: 8000, target: 8000 }], dependsOn: [{ service: 'nginx-flask-mysql-db', condition: 'healthy' }] })
    expect(service(stack, 'proxy')).toMatchObject({ ports: [{ published: 80, target: 80 }], restart: { condition: 'any' } })
    expect(where(stack.notes)).toEqual([
      '18:5 services.db.networks', '29:5 services.backend.build', '37:5 services.backend.networks',
      '46:5 services.proxy.build', '52:5 services.proxy.networks', '62:1 networks'
    ])
    expect(stack.notes.filter((n) => n.path.endsWith('networks')).every((n) => n.why === NETWORKS)).toBe(true)
  })

  it('react-express-mysql: bind mounts, an anonymous volume and a string command', () => {
    const stack = load('react-express-mysql')
    expect(service(stack, 'backend')).toEqual({
      name: 'react-express-mysql-backend',
      stack: 'react-express-mysql',
      image: 'meshd/busybox:latest',
      command: ['npm', 'run', 'start-watch'],
      env: { DATABASE_DB: 'example', DATABASE_USER: 'root', DATABASE_PASSWORD: '/run/secrets/db-password', DATABASE_HOST: 'db', NODE_ENV: 'development' },
      ports: [{ published: 80, target: 80 }, { published: 9229, target: 9229 }, { published: 9230, target: 9230 }],
      volumes: [{ source: 'back-notused', target: '/opt/app/node_modules' }],
      secrets: [{ source: 'react-express-mysql-db-password', target: 'db-password' }],
      dependsOn: [{ service: 'react-express-mysql-db', condition: 'started' }]
    })
    expect(service(stack, 'frontend')).toMatchObject({ ports: [{ published: 3000, target: 3000 }], dependsOn: [{ service: 'react-express-mysql-backend', condition: 'started' }] })
    expect(service(stack, 'frontend').volumes).toBeUndefined()
    expect(where(stack.notes)).toEqual([
      '4:5 services.backend.build', '23:9 services.backend.volumes[0]', '24:9 services.backend.volumes[1]', '25:9 services.backend.volumes[2]',
      '27:5 services.backend.networks', '43:5 services.db.networks', '50:5 services.frontend.build', '56:9 services.frontend.volumes[0]',
      '57:9 services.frontend.volumes[1]', '58:5 services.frontend.networks', '62:1 networks'
    ])
    expect(stack.notes[8]!.why).toMatch(/^an anonymous volume is new and empty at every replica start/)
  })

  it('nextcloud-redis-mariadb: volume names with "_" become meshd names with "-"', () => {
    const stack = load('nextcloud-redis-mariadb')
    expect(service(stack, 'nc')).toMatchObject({ image: 'nextcloud:apache', ports: [{ published: 80, target: 80 }], volumes: [{ source: 'nc-data', target: '/var/www/html' }] })
    expect(service(stack, 'redis')).toEqual({ name: 'nextcloud-redis-mariadb-redis', stack: 'nextcloud-redis-mariadb', image: 'redis:alpine', ports: [{ target: 6379 }], restart: { condition: 'any' } })
    expect(service(stack, 'db')).toMatchObject({
      image: 'meshd/postgres:15',
      command: ['--transaction-isolation=READ-COMMITTED', '--binlog-format=ROW'],
      volumes: [{ source: 'db-data', target: '/var/lib/mysql' }],
      env: { MYSQL_DATABASE: 'nextcloud', MYSQL_USER: 'nextcloud', MYSQL_ROOT_PASSWORD: 'nextcloud', MYSQL_PASSWORD: 'nextcloud' }
    })
    expect(where(stack.notes)).toEqual(['9:5 services.nc.networks', '21:5 services.redis.networks', '31:5 services.db.networks', '43:1 networks'])
  })

  it('prometheus-grafana: container_name, restart unless-stopped and bind mounts', () => {
    const stack = load('prometheus-grafana')
    expect(service(stack, 'prometheus')).toEqual({
      name: 'prometheus-grafana-prometheus',
      stack: 'prometheus-grafana',
      image: 'prom/prometheus',
      command: ['--config.file=/etc/prometheus/prometheus.yml'],
      ports: [{ published: 9090, target: 9090 }],
      restart: { condition: 'any' },
      volumes: [{ source: 'prom-data', target: '/prometheus' }]
    })
    expect(service(stack, 'grafana')).toMatchObject({ env: { GF_SECURITY_ADMIN_USER: 'admin', GF_SECURITY_ADMIN_PASSWORD: 'grafana' }, ports: [{ published: 3000, target: 3000 }] })
    expect(where(stack.notes)).toEqual(['4:5 services.prometheus.container_name', '11:9 services.prometheus.volumes[0]', '15:5 services.grafana.container_name', '23:9 services.grafana.volumes[0]'])
  })

  it('example-voting-app compose.yaml: string healthchecks and entrypoint, a host IP, profiles, restart "no"', () => {
    const stack = load('example-voting-app', { name: 'vote' })
    expect(stack.services.map((s) => s.name)).toEqual(['vote-vote', 'vote-result', 'vote-worker', 'vote-redis', 'vote-db', 'vote-seed'])
    expect(service(stack, 'vote')).toEqual({
      name: 'vote-vote',
      stack: 'vote',
      image: 'dockersamples/examplevotingapp_vote',
      ports: [{ published: 8080, target: 80 }],
      health: { type: 'cmd', cmd: ['curl', '-f', 'http://localhost'], interval: '15s', timeout: '5s', retries: 3, startPeriod: '10s' },
      dependsOn: [{ service: 'vote-redis', condition: 'healthy' }]
    })
    expect(service(stack, 'result')).toMatchObject({
      entrypoint: ['nodemon', '--inspect=0.0.0.0', 'server.js'], ports: [{ published: 8081, target: 80 }, { published: 9229, target: 9229 }]
    })
    expect(service(stack, 'worker').dependsOn).toEqual([{ service: 'vote-redis', condition: 'healthy' }, { service: 'vote-db', condition: 'healthy' }])
    expect(service(stack, 'db')).toMatchObject({
      image: 'meshd/postgres:15',
      health: { type: 'cmd', cmd: ['/bin/sh', '-c', '/healthchecks/postgres.sh'], interval: '5s' },
      volumes: [{ source: 'db-data', target: '/var/lib/postgresql/data' }]
    })
    expect(service(stack, 'seed')).toMatchObject({ restart: { condition: 'none' }, dependsOn: [{ service: 'vote-vote', condition: 'healthy' }] })
    expect(where(stack.notes)).toEqual([
      '8:5 services.vote.build', '21:8 services.vote.volumes[0]', '24:5 services.vote.networks',
      '30:5 services.result.build', '37:9 services.result.volumes[0]', '40:9 services.result.ports[1]', '41:5 services.result.networks',
      '47:5 services.worker.build', '54:5 services.worker.networks', '60:9 services.redis.volumes[0]', '64:5 services.redis.networks',
      '74:9 services.db.volumes[1]', '78:5 services.db.networks', '86:5 services.seed.build', '87:5 services.seed.profiles', '91:5 services.seed.networks',
      '98:1 networks'
    ])
    expect(stack.notes[5]!.why).toBe('host IP 127.0.0.1 not used: meshd publishes on every address of every node')
    expect(stack.notes[14]!.why).toBe('every service of the file is deployed: profiles select none')
  })

  it('example-voting-app docker-stack.yml: a Swarm stack file with version: and deploy.replicas', () => {
    const stack = load('example-voting-app', { name: 'vote' }, 'docker-stack.yml')
    expect(service(stack, 'vote')).toEqual({ name: 'vote-vote', stack: 'vote', image: 'dockersamples/examplevotingapp_vote', ports: [{ published: 8080, target: 80 }], replicas: 2 })
    expect(service(stack, 'worker').replicas).toBe(2)
    expect(service(stack, 'db')).toMatchObject({ env: { POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: 'postgres' }, volumes: [{ source: 'db-data', target: '/var/lib/postgresql/data' }] })
    expect(where(stack.notes)).toEqual([
      '5:1 version', '11:5 services.redis.networks', '21:5 services.db.networks', '28:5 services.vote.networks', '37:5 services.result.networks',
      '42:5 services.worker.networks', '48:1 networks'
    ])
  })

  it('gives specs that meshd\'s own parser takes, for every file', () => {
    for (const dir of ['nginx-golang-postgres', 'nginx-flask-mysql', 'react-express-mysql', 'nextcloud-redis-mariadb', 'prometheus-grafana', 'example-voting-app']) {
      for (const spec of load(dir).services) expect(() => parseServiceSpec(spec)).not.toThrow()
    }
    for (const spec of load('example-voting-app', {}, 'docker-stack.yml').services) expect(() => parseServiceSpec(spec)).not.toThrow()
  })

  it('refuses every file with --strict, listing each note as an error', () => {
    let error: unknown
    try { load('prometheus-grafana', { strict: true }) } catch (err) { error = err }
    expect(error).toBeInstanceOf(ComposeError)
    expect(where((error as ComposeError).problems)).toEqual(['4:5 services.prometheus.container_name', '11:9 services.prometheus.volumes[0]', '15:5 services.grafana.container_name', '23:9 services.grafana.volumes[0]'])
    expect((error as ComposeError).message).toMatch(/^4 problems:\nprometheus-grafana\/compose.yaml:4:5: services.prometheus.container_name: replicas are named by meshd .* \(--strict\)$/m)
  })
})
