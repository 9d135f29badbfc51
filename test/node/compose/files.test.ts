// Volumes, tmpfs, secrets and configs of a Compose file → meshd's, and the stack's own
// secret and config files (base64, named STACK-KEY).

import { describe, expect, it } from 'vitest'
import { compose, problems, service, where } from './helpers.ts'

const b64 = (text: string): string => Buffer.from(text).toString('base64')

describe('volumes and tmpfs', () => {
  it('maps named volumes (short and long syntax, read-only) and notes bind mounts and anonymous volumes', () => {
    const stack = compose([
      'services:', '  db:', '    image: postgres', '    volumes:', '      - data:/var/lib/postgresql/data', '      - Backup_Dir:/backup:ro', '      - ./init:/docker-entrypoint-initdb.d',
      '      - /scratch', '      - type: volume', '        source: logs', '        target: /logs', '        read_only: true', '        volume: {nocopy: true}',
      '      - type: bind', '        source: /etc/hosts', '        target: /etc/hosts', '      - data2:/x:z', 'volumes:', '  data:', '  Backup_Dir:', '  logs: {}', '  data2:', ''
    ].join('\n'))
    expect(service(stack, 'db').volumes).toEqual([
      { source: 'data', target: '/var/lib/postgresql/data' }, { source: 'backup-dir', target: '/backup', readOnly: true },
      { source: 'logs', target: '/logs', readOnly: true }, { source: 'data2', target: '/x' }
    ])
    expect(where(stack.notes)).toEqual(['7:9 services.db.volumes[2]', '8:9 services.db.volumes[3]', '13:9 services.db.volumes[4].volume', '14:9 services.db.volumes[5]', '17:9 services.db.volumes[6]'])
  })

  it('maps tmpfs from the service key and from long volumes, with sizes', () => {
    const spec = service(compose([
      'services:', '  web:', '    image: nginx', '    tmpfs:', '      - /run', '      - /cache:size=64m', '    volumes:', '      - type: tmpfs', '        target: /tmp', '        tmpfs: {size: 1048576}', ''
    ].join('\n')), 'web')
    expect(spec.tmpfs).toEqual([{ target: '/tmp', size: 1048576 }, { target: '/run' }, { target: '/cache', size: 64 * 2 ** 20 }])
    const stack = compose('services:\n  web:\n    image: nginx\n    tmpfs: /run:rw,noexec,size=4k\n')
    expect(service(stack, 'web').tmpfs).toEqual([{ target: '/run', size: 4096 }])
    expect(stack.notes.map((n) => `${n.line} ${n.why}`)).toEqual(['4 tmpfs option rw not used: meshd sets the size only', '4 tmpfs option noexec not used: meshd sets the size only'])
  })

  it('refuses a volume not declared at the top level', () => {
    expect(problems('services:\n  db:\n    image: postgres\n    volumes: ["data:/data"]\n')).toMatchObject([{ line: 4, column: 15, why: 'volume "data" is not declared under the top-level volumes:' }])
  })

  it('notes top-level volume options and a volume two services mount', () => {
    const stack = compose([
      'services:', '  a:', '    image: x', '    volumes: [shared:/data]', '  b:', '    image: x', '    volumes: [shared:/data]', 'volumes:', '  shared:', '    external: true', '    driver: nfs', ''
    ].join('\n'))
    expect(where(stack.notes)).toEqual(['7:15 services.b.volumes[0]', '10:5 volumes.shared.external', '11:5 volumes.shared.driver'])
    expect(stack.notes[0]!.why).toBe('volume shared is also mounted by a: meshd gives each service (and each slot) a volume of its own, so they do not share its data')
  })
})

describe('secrets and configs', () => {
  it('creates the stack\'s secrets from files and variables, uses external ones by name, and maps the references', () => {
    const stack = compose([
      'services:', '  api:', '    image: api', '    secrets:', '      - db_password', '      - source: api-key', '        target: /etc/api/key', '        uid: "103"', '        gid: "103"',
      '        mode: 0440', '      - source: tls', '        target: tls.pem', 'secrets:', '  db_password:', '    file: ./db/password.txt', '  api-key:', '    environment: API_KEY',
      '  tls:', '    external: true', '    name: shared-tls', ''
    ].join('\n'), { files: { './db/password.txt': 's3cret\n' }, env: { API_KEY: 'k' } })
    expect(stack.secrets).toEqual([{ name: 'shop-db-password', data: b64('s3cret\n') }, { name: 'shop-api-key', data: b64('k') }])
    expect(service(stack, 'api').secrets).toEqual([
      { source: 'shop-db-password', target: 'db_password' },
      { source: 'shop-api-key', target: '/etc/api/key', uid: 103, gid: 103, mode: 0o440 },
      { source: 'shared-tls', target: 'tls.pem' }
    ])
    expect(stack.notes).toEqual([])
  })

  it('creates configs from files and content; a config\'s default target is /KEY, and its owner is noted', () => {
    const stack = compose([
      'services:', '  web:', '    image: nginx', '    configs:', '      - nginx_conf', '      - source: motd', '        target: /etc/motd', '        mode: 0444', '        uid: "1"',
      'configs:', '  nginx_conf:', '    file: nginx.conf', '  motd:', '    content: "hello ${WHO}"', ''
    ].join('\n'), { files: { 'nginx.conf': 'events {}\n' }, env: { WHO: 'world' } })
    expect(stack.configs).toEqual([{ name: 'shop-nginx-conf', data: b64('events {}\n') }, { name: 'shop-motd', data: b64('hello world') }])
    expect(service(stack, 'web').configs).toEqual([{ source: 'shop-nginx-conf', target: '/nginx_conf' }, { source: 'shop-motd', target: '/etc/motd', mode: 0o444 }])
    expect(where(stack.notes)).toEqual(['9:9 services.web.configs[1].uid'])
  })

  it('refuses an unreadable file, an unset variable and an undeclared reference, each at its line', () => {
    expect(problems([
      'services:', '  api:', '    image: api', '    secrets: [a, b, c]', 'secrets:', '  a:', '    file: missing.txt', '  b:', '    environment: NOT_SET', ''
    ].join('\n'))).toEqual([
      { file: 'compose.yaml', line: 4, column: 21, path: 'services.api.secrets[2]', why: 'secret "c" is not declared under the top-level secrets:' },
      { file: 'compose.yaml', line: 7, column: 5, path: 'secrets.a.file', why: 'cannot read missing.txt: ENOENT' },
      { file: 'compose.yaml', line: 9, column: 5, path: 'secrets.b.environment', why: 'variable NOT_SET is not set' }
    ])
  })

  it('refuses a file larger than a secret may be', () => {
    const files = { big: 'x'.repeat(512 * 1024 + 1) }
    expect(problems('services:\n  api:\n    image: api\nsecrets:\n  big:\n    file: big\n', { files })).toMatchObject([{ line: 5, column: 3, why: '524289 bytes: a secret or config holds at most 524288' }])
  })
})
