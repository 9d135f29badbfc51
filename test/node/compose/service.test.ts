// Every Compose service key meshd honours, mapped to its spec field; and the keys it
// does not honour, each noted at its line with the reason.

import { describe, expect, it } from 'vitest'
import { parseServiceSpec } from '../../../src/node/spec/index.ts'
import { compose, problems, service, where } from './helpers.ts'

/** The spec of service "web" whose keys are `body` (indented under it). */
function web (body: string, opts: Parameters<typeof compose>[1] = {}): Record<string, unknown> {
  return service(compose(`services:\n  web:\n    image: nginx:1.27\n${body}`, opts), 'web')
}

describe('the process', () => {
  it('takes command and entrypoint as lists or shell-like strings', () => {
    expect(web('    command: ["nginx", "-g", "daemon off;"]\n    entrypoint: /docker-entrypoint.sh\n')).toMatchObject({
      command: ['nginx', '-g', 'daemon off;'], entrypoint: ['/docker-entrypoint.sh']
    })
    expect(web(`    command: sh -c 'echo "a b" && sleep 1' "x\\" y" z\\ w\n`).command).toEqual(['sh', '-c', 'echo "a b" && sleep 1', 'x" y', 'z w'])
    expect(web('    entrypoint: []\n').entrypoint).toEqual([])
  })

  it('maps user, working_dir, stop_signal and stop_grace_period', () => {
    expect(web('    user: "1000:1000"\n    working_dir: /srv\n    stop_signal: TERM\n    stop_grace_period: 1m30s\n')).toMatchObject({
      user: '1000:1000', workingDir: '/srv', stopSignal: 'SIGTERM', stopGracePeriod: '1m30s'
    })
    expect(web('    stop_signal: SIGQUIT\n').stopSignal).toBe('SIGQUIT')
  })

  it('takes environment as a map or a list; a bare key from the environment, left out when unset', () => {
    const env = { FROM_HOST: 'h' }
    expect(web('    environment:\n      A: 1\n      B: true\n      FROM_HOST:\n      MISSING:\n', { env }).env).toEqual({ A: '1', B: 'true', FROM_HOST: 'h' })
    expect(web('    environment:\n      - A=x=y\n      - FROM_HOST\n      - MISSING\n', { env }).env).toEqual({ A: 'x=y', FROM_HOST: 'h' })
  })

  it('reads env_file entries in order, environment over them; a missing optional file is skipped', () => {
    const files = { 'a.env': 'A=1\nB=1\n', 'b.env': 'B=2\nC=${HOST_VAR}\n' }
    expect(web('    env_file: a.env\n', { files }).env).toEqual({ A: '1', B: '1' })
    expect(web('    env_file: [a.env, b.env]\n    environment: {C: 3}\n', { files, env: { HOST_VAR: 'h' } }).env).toEqual({ A: '1', B: '2', C: '3' })
    expect(web('    env_file:\n      - path: none.env\n        required: false\n      - b.env\n', { files, env: { HOST_VAR: 'h' } }).env).toEqual({ B: '2', C: 'h' })
    expect(problems('services:\n  web:\n    image: nginx\n    env_file: none.env\n')).toMatchObject([{ line: 4, column: 5, why: 'cannot read none.env: ENOENT' }])
  })

  it('merges deploy.labels and labels (a list or a map), labels last', () => {
    expect(web('    labels: [a=1, "b=x=y", c]\n    deploy:\n      labels: {a: 0, d: 4}\n').labels).toEqual({ a: '1', b: 'x=y', c: '', d: '4' })
  })
})

describe('ports and expose', () => {
  it('maps the short syntax: published:target, a target alone, ranges, host IPs, protocols', () => {
    const stack = compose('services:\n  web:\n    image: nginx\n    ports:\n      - "8080:80"\n      - 9000\n      - "127.0.0.1:8443:443/tcp"\n      - "7000-7001:8000-8001"\n      - "53:53/udp"\n      - "6000-6002:6000"\n')
    expect(service(stack, 'web').ports).toEqual([
      { published: 8080, target: 80 }, { target: 9000 }, { published: 8443, target: 443 },
      { published: 7000, target: 8000 }, { published: 7001, target: 8001 }, { published: 6000, target: 6000 }
    ])
    expect(stack.notes.map((n) => `${n.line} ${n.why}`)).toEqual([
      '6 no published port: Docker would pick a random one; meshd publishes none, the service is reached on its address at port 9000',
      '7 host IP 127.0.0.1 not used: meshd publishes on every address of every node',
      '9 a udp port is left out: meshd\'s mesh carries TCP only',
      '10 a range of published ports for one target: meshd publishes the first, 6000'
    ])
  })

  it('maps the long syntax and notes what it cannot honour', () => {
    const stack = compose('services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        published: "8080"\n        mode: host\n        host_ip: 0.0.0.0\n        name: http\n        app_protocol: http\n')
    expect(service(stack, 'web').ports).toEqual([{ published: 8080, target: 80 }])
    expect(where(stack.notes)).toEqual(['7:9 services.web.ports[0].mode', '8:9 services.web.ports[0].host_ip', '9:9 services.web.ports[0].name', '10:9 services.web.ports[0].app_protocol'])
  })

  it('adds expose (ranges too) as targets only, once each', () => {
    expect(web('    ports: ["8080:80"]\n    expose: ["80", 81, "90-91/tcp"]\n').ports).toEqual([{ published: 8080, target: 80 }, { target: 81 }, { target: 90 }, { target: 91 }])
  })

  it('refuses a port out of range or mismatched ranges at its line', () => {
    expect(problems('services:\n  web:\n    image: nginx\n    ports:\n      - "70000:80"\n      - "1-2:3-5"\n')).toMatchObject([
      { line: 5, column: 9, path: 'services.web.ports[0]', why: 'expected a port from 1 to 65535 or a range such as "8000-8010", got "70000"' },
      { line: 6, column: 9, path: 'services.web.ports[1]', why: 'expected as many published ports as targets, got 2 and 3' }
    ])
  })
})

describe('healthcheck', () => {
  it('maps CMD, CMD-SHELL, a string, and the durations', () => {
    expect(web('    healthcheck:\n      test: ["CMD", "curl", "-f", "http://localhost"]\n      interval: 1m30s\n      timeout: 10s\n      retries: 3\n      start_period: 40s\n').health).toEqual({
      type: 'cmd', cmd: ['curl', '-f', 'http://localhost'], interval: '1m30s', timeout: '10s', retries: 3, startPeriod: '40s'
    })
    expect(web('    healthcheck:\n      test: ["CMD-SHELL", "curl -f http://localhost || exit 1"]\n').health).toEqual({ type: 'cmd', cmd: ['/bin/sh', '-c', 'curl -f http://localhost || exit 1'] })
    expect(web('    healthcheck:\n      test: pg_isready -U $${USER}\n').health).toEqual({ type: 'cmd', cmd: ['/bin/sh', '-c', 'pg_isready -U ${USER}'] })
  })

  it('has no check for NONE, disable, or no test (noted: the image\'s HEALTHCHECK is not run)', () => {
    expect(web('    healthcheck:\n      test: ["NONE"]\n').health).toBeUndefined()
    expect(web('    healthcheck:\n      disable: true\n').health).toBeUndefined()
    const stack = compose('services:\n  web:\n    image: nginx\n    healthcheck:\n      interval: 5s\n      start_interval: 1s\n')
    expect(service(stack, 'web').health).toBeUndefined()
    expect(where(stack.notes)).toEqual(['4:5 services.web.healthcheck', '6:7 services.web.healthcheck.start_interval'])
  })

  it('refuses a test that does not start with CMD, CMD-SHELL or NONE', () => {
    expect(problems('services:\n  web:\n    image: nginx\n    healthcheck:\n      test: ["curl", "x"]\n')).toMatchObject([{ line: 5, column: 7, path: 'services.web.healthcheck.test' }])
  })
})

describe('restart and deploy', () => {
  it('maps restart', () => {
    expect(web('    restart: "no"\n').restart).toEqual({ condition: 'none' })
    expect(web('    restart: always\n').restart).toEqual({ condition: 'any' })
    expect(web('    restart: unless-stopped\n').restart).toEqual({ condition: 'any' })
    expect(web('    restart: on-failure\n').restart).toEqual({ condition: 'on-failure' })
    expect(web('    restart: on-failure:3\n').restart).toEqual({ condition: 'on-failure', maxAttempts: 3 })
    expect(problems('services:\n  web:\n    image: nginx\n    restart: sometimes\n')).toMatchObject([{ line: 4, column: 5, path: 'services.web.restart' }])
  })

  it('takes deploy.restart_policy over restart, and notes restart', () => {
    const stack = compose('services:\n  web:\n    image: nginx\n    restart: always\n    deploy:\n      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}\n')
    expect(service(stack, 'web').restart).toEqual({ condition: 'on-failure', delay: '5s', maxAttempts: 3, window: '2m' })
    expect(stack.notes).toMatchObject([{ line: 4, path: 'services.web.restart', why: 'deploy.restart_policy is used instead' }])
  })

  it('maps replicas, mode, placement and resources', () => {
    const spec = web([
      '    deploy:', '      replicas: 3', '      placement:', '        constraints: [node.labels.zone==a, "node.hostname != n1"]', '        max_replicas_per_node: 2',
      '      resources:', '        limits: {cpus: "0.5", memory: 512M, pids: 100}', '        reservations: {cpus: 0.25, memory: 128m}', ''
    ].join('\n'))
    expect(spec).toMatchObject({
      replicas: 3, constraints: ['node.labels.zone==a', 'node.hostname != n1'], maxPerNode: 2,
      resources: { cpus: 0.25, memory: 128 * 2 ** 20, limits: { cpus: 0.5, memory: 512 * 2 ** 20, pids: 100 } }
    })
    expect(web('    deploy:\n      mode: global\n').mode).toBe('global')
    expect(web('    scale: 2\n').replicas).toBe(2)
  })

  it('notes Swarm constraints, preferences and reservations meshd has no meaning for', () => {
    const stack = compose([
      'services:', '  web:', '    image: nginx', '    deploy:', '      endpoint_mode: dnsrr', '      placement:', '        constraints: [node.role==manager, node.labels.ssd==true]',
      '        preferences: [{spread: node.labels.zone}]', '      resources:', '        reservations:', '          devices: [{capabilities: [gpu]}]', ''
    ].join('\n'))
    expect(service(stack, 'web').constraints).toEqual(['node.labels.ssd==true'])
    expect(where(stack.notes)).toEqual([
      '5:7 services.web.deploy.endpoint_mode', '7:23 services.web.deploy.placement.constraints[0]', '8:9 services.web.deploy.placement.preferences',
      '11:11 services.web.deploy.resources.reservations.devices'
    ])
  })

  it('refuses job modes', () => {
    expect(problems('services:\n  web:\n    image: nginx\n    deploy:\n      mode: replicated-job\n')).toMatchObject([{ line: 5, column: 7, why: 'expected "replicated" or "global" (meshd runs services, not jobs), got "replicated-job"' }])
  })

  it('maps update_config; notes parallelism 0 and rollback_config', () => {
    const stack = compose([
      'services:', '  web:', '    image: nginx', '    deploy:', '      update_config:', '        parallelism: 2', '        delay: 10s', '        failure_action: pause',
      '        monitor: 30s', '        max_failure_ratio: 0.3', '        order: start-first', '      rollback_config:', '        parallelism: 0', ''
    ].join('\n'))
    expect(service(stack, 'web').update).toEqual({ parallelism: 2, delay: '10s', failureAction: 'pause', monitor: '30s', maxFailureRatio: 0.3, order: 'start-first' })
    expect(stack.notes).toMatchObject([{ line: 12, column: 7, path: 'services.web.deploy.rollback_config', why: expect.stringMatching(/at the pace of the update settings/) }])
    expect(where(compose('services:\n  web:\n    image: nginx\n    deploy:\n      update_config:\n        parallelism: 0\n').notes)).toEqual(['6:9 services.web.deploy.update_config.parallelism'])
  })
})

describe('keys meshd does not honour', () => {
  it('notes each at its line with its reason; x-* are ignored silently', () => {
    const stack = compose([
      'x-common: &common', '  restart: always', 'version: "3.9"', 'services:', '  web:', '    <<: *common', '    image: nginx', '    build: .', '    container_name: web',
      '    privileged: true', '    cap_add: [NET_ADMIN]', '    x-team: payments', '    networks: [front]', '    mem_limit: 1g', 'networks:', '  front: {}', ''
    ].join('\n'))
    expect(service(stack, 'web').restart).toEqual({ condition: 'any' })
    expect(stack.notes.map((n) => `${n.line}:${n.column} ${n.path}: ${n.why}`)).toEqual([
      '3:1 version: obsolete, and ignored as by docker compose',
      '8:5 services.web.build: meshd runs images and builds none: build and push the image, then name it in image:',
      '9:5 services.web.container_name: replicas are named by meshd (one name per replica, across nodes)',
      '10:5 services.web.privileged: meshd never runs a privileged replica',
      '11:5 services.web.cap_add: replicas run with Docker\'s default capabilities',
      '13:5 services.web.networks: meshd has one mesh network: every service of the stack reaches the others by their short name; restrict who may connect with x-meshd.allowFrom',
      '14:5 services.web.mem_limit: use deploy.resources (limits and reservations), which meshd honours',
      '15:1 networks: meshd has one mesh network: every service of the stack reaches the others by their short name; restrict who may connect with x-meshd.allowFrom'
    ])
  })

  it('notes the meshd spec fields of the old deploy -f services map, pointing at the Compose key or x-meshd', () => {
    const stack = compose('services:\n  web:\n    image: nginx\n    replicas: 3\n    env: {A: "1"}\n    allowFrom: [external]\n    restart: {condition: any}\n')
    expect(service(stack, 'web')).toEqual({ name: 'shop-web', stack: 'shop', image: 'nginx' })
    expect(stack.notes.map((n) => `${n.line} ${n.path}: ${n.why}`)).toEqual([
      '4 services.web.replicas: a meshd spec field, not a Compose key: write deploy.replicas',
      '5 services.web.env: a meshd spec field, not a Compose key: write environment:',
      '6 services.web.allowFrom: a meshd spec field, not a Compose key: write it under x-meshd',
      '7 services.web.restart: a meshd spec field, not a Compose key: write deploy.restart_policy, or restart: as a string'
    ])
  })
})

describe('x-meshd and depends_on', () => {
  it('merges x-meshd over the Compose keys; allowFrom may use the stack\'s short names', () => {
    const spec = service(compose('services:\n  api:\n    image: api\n  web:\n    image: nginx\n    deploy: {replicas: 2}\n    x-meshd:\n      replicas: 4\n      allowFrom: [api, external]\n      policy: observe\n'), 'web')
    expect(spec).toMatchObject({ replicas: 4, allowFrom: ['shop-api', 'external'], policy: 'observe' })
    expect(problems('services:\n  web:\n    image: nginx\n    x-meshd:\n      name: other\n')).toMatchObject([{ line: 5, column: 7, path: 'services.web.x-meshd.name' }])
  })

  it('passes x-meshd ingress through as the spec field', () => {
    const spec = service(compose('services:\n  web:\n    image: nginx\n    ports: ["80"]\n    x-meshd:\n      ingress: [{host: Shop.test, path: /api, port: 80, tls: true}]\n'), 'web')
    expect(spec.ingress).toEqual([{ host: 'Shop.test', path: '/api', port: 80, tls: true }])
    expect(parseServiceSpec(spec).ingress).toEqual([{ host: 'shop.test', path: '/api', port: 80, tls: true }])
  })

  it('maps depends_on short and long syntax to full names and conditions', () => {
    const stack = compose([
      'services:', '  db: {image: postgres}', '  cache: {image: redis}', '  init: {image: busybox}', '  api:', '    image: api', '    depends_on:',
      '      db: {condition: service_healthy, restart: true}', '      cache: {condition: service_started}', '      init: {condition: service_completed_successfully}',
      '      extra: {condition: service_started, required: false}', '  web:', '    image: nginx', '    depends_on: [api]', ''
    ].join('\n'))
    expect(service(stack, 'api').dependsOn).toEqual([
      { service: 'shop-db', condition: 'healthy' }, { service: 'shop-cache', condition: 'started' }, { service: 'shop-init', condition: 'started' }
    ])
    expect(service(stack, 'web').dependsOn).toEqual([{ service: 'shop-api', condition: 'started' }])
    expect(where(stack.notes)).toEqual(['8:40 services.api.depends_on.db.restart', '10:14 services.api.depends_on.init.condition', '11:7 services.api.depends_on.extra'])
    expect(problems('services:\n  web:\n    image: nginx\n    depends_on: [db]\n')).toMatchObject([{ line: 4, column: 18, why: 'service "db" is not in this file' }])
  })
})
