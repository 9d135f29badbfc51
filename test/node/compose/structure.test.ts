// What a Compose file must be before meshd reads it: valid YAML, valid against the
// Compose Specification's schema, and specs meshd's own parser takes; every error at
// file:line:column, all of them at once, and nothing returned. Also --strict and names.

import { describe, expect, it } from 'vitest'
import { ComposeError, isComposeDocument, stackNameOf } from '../../../src/node/compose/index.ts'
import { compose, problems } from './helpers.ts'

describe('structure errors', () => {
  it('places YAML syntax errors and duplicate keys', () => {
    expect(problems('services:\n  web:\n    image: [nginx\n  api: {}\n')).toMatchObject([{ file: 'compose.yaml', why: expect.stringMatching(/^invalid YAML: /) }])
    expect(problems('services:\n  web:\n    image: a\n    image: b\n')).toMatchObject([{ line: 4, column: 5, why: expect.stringMatching(/^invalid YAML: Map keys must be unique/) }])
  })

  it('places a key unknown to the Compose Specification (a typo) at its line', () => {
    expect(problems('services:\n  web:\n    image: nginx\n    enviroment:\n      A: 1\n')).toEqual([
      { file: 'compose.yaml', line: 4, column: 5, path: 'services.web.enviroment', why: 'unknown key in the Compose Specification (a typo? extensions start with "x-")' }
    ])
  })

  it('places wrong types, and reports every problem of the file at once', () => {
    expect(problems([
      'services:', '  web:', '    image: nginx', '    ports: 80', '  api:', '    image: [api]', '    healthcheck:', '      retries: [3]', '    deploy:', '      resources:', '        limits:', '          cpus: {}', ''
    ].join('\n'))).toEqual([
      { file: 'compose.yaml', line: 4, column: 5, path: 'services.web.ports', why: 'must be a list' },
      { file: 'compose.yaml', line: 6, column: 5, path: 'services.api.image', why: 'must be a string' },
      { file: 'compose.yaml', line: 8, column: 7, path: 'services.api.healthcheck.retries', why: 'must be a number or a string' },
      { file: 'compose.yaml', line: 12, column: 11, path: 'services.api.deploy.resources.limits.cpus', why: 'must be a number or a string' }
    ])
  })

  it('refuses a file without a services map', () => {
    expect(problems('name: x\n')).toMatchObject([{ line: 1, column: 1, why: 'expected a map with services:' }])
    expect(problems('servics:\n  web:\n    image: nginx\n')).toMatchObject([{ line: 1, column: 1, path: 'servics', why: expect.stringMatching(/^unknown key/) }])
    expect(problems('services:\n  - name: web\n')).toMatchObject([{ line: 1, column: 1, path: 'services', why: 'must be a map' }])
    expect(isComposeDocument({ services: { web: {} } })).toBe(true)
    expect(isComposeDocument({ services: [{ name: 'web' }] })).toBe(false)
    expect(isComposeDocument([{ name: 'web' }])).toBe(false)
  })

  it('refuses a file whose third service is invalid, naming file:line, and returns nothing', () => {
    const text = 'services:\n  db:\n    image: postgres\n  api:\n    image: api\n  web:\n    image: nginx\n    stop_signal: SIGFOO\n'
    let error: unknown
    try { compose(text) } catch (err) { error = err }
    expect(error).toBeInstanceOf(ComposeError)
    expect((error as Error).message).toMatch(/^compose\.yaml:8:5: services\.web\.stop_signal: meshd spec stopSignal: expected one of .*SIGTERM.*, got "SIGFOO"$/)
  })

  it('places meshd\'s own spec errors at the Compose key they came from', () => {
    expect(problems('services:\n  web:\n    image: nginx\n    labels: {meshd.slot: x}\n')).toMatchObject([{ line: 4, column: 5, path: 'services.web.labels', why: expect.stringMatching(/^meshd spec labels\["meshd.slot"\]/) }])
    expect(problems('services:\n  web:\n    image: nginx\n    deploy:\n      replicas: -1\n')).toMatchObject([{ line: 4, path: 'services.web.deploy', why: expect.stringMatching(/^meshd spec replicas: expected an integer/) }])
    expect(problems('services:\n  web:\n    image: nginx\n    ports: ["80:80", "80:81"]\n')).toMatchObject([{ line: 4, why: expect.stringMatching(/^meshd spec ports\[1\]\.published: expected a port not already published/) }])
  })

  it('refuses a service with no image, saying why when it has build:', () => {
    expect(problems('services:\n  web:\n    build: .\n')).toMatchObject([{ line: 2, column: 3, path: 'services.web', why: 'no image: meshd builds none; build and push the image, then name it in image:' }])
  })

  it('places keys merged in from an anchor where they were written', () => {
    const stack = compose('x-base: &base\n  container_name: same\nservices:\n  web:\n    <<: *base\n    image: nginx\n')
    expect(stack.notes).toMatchObject([{ line: 2, column: 3, path: 'services.web.container_name' }])
  })
})

describe('--strict', () => {
  it('turns every note into an error, and passes a file with none', () => {
    const text = 'services:\n  web:\n    image: nginx\n    container_name: web\n    networks: [default]\n'
    expect(compose(text).notes).toHaveLength(2)
    expect(problems(text, { strict: true }).map((p) => `${p.line} ${p.path}: ${p.why.slice(-10)}`)).toEqual(['4 services.web.container_name: (--strict)', '5 services.web.networks: (--strict)'])
    expect(compose('services:\n  web:\n    image: nginx\n', { strict: true }).services).toHaveLength(1)
  })
})

describe('names', () => {
  const file = 'services:\n  web:\n    image: nginx\n'

  it('names the stack from the argument, else the file\'s name:, else the directory (cleaned as docker compose -p)', () => {
    expect(compose(`name: Shop_Front\n${file}`).name).toBe('shop')
    expect(compose(`name: Shop_Front\n${file}`, { name: undefined }).name).toBe('shop-front')
    expect(compose(file, { name: undefined, directoryName: 'My App.2' }).name).toBe('myapp2')
    expect(compose(file, { name: undefined, directoryName: 'awesome' }).services[0]).toMatchObject({ name: 'awesome-web', stack: 'awesome' })
    expect(stackNameOf('_1_Stack_')).toBe('stack')
  })

  it('refuses a stack name that is no DNS label, and a service key meshd cannot name', () => {
    expect(problems(file, { name: 'Bad_Name' })).toMatchObject([{ line: 1, column: 1, why: expect.stringMatching(/^stack name "Bad_Name": expected a DNS label/) }])
    expect(problems(file, { name: undefined, directoryName: '___' })).toMatchObject([{ why: 'no stack name can be made of "___": give one (meshd stack deploy -c FILE NAME)' }])
    expect(problems('services:\n  my_web:\n    image: nginx\n')).toMatchObject([{ line: 2, column: 3, path: 'services.my_web', why: expect.stringMatching(/^meshd names this service shop-my_web, which must be a DNS label/) }])
  })
})
