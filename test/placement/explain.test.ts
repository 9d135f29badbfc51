import { describe, expect, it } from 'vitest'
import { formatBytes, formatCpus } from '../../src/placement/explain.ts'
import { GiB, MiB } from './helpers.ts'

describe('explanations', () => {
  it('writes sizes in the largest binary unit, to one decimal', () => {
    expect(formatBytes(512 * MiB)).toBe('512 MiB')
    expect(formatBytes(1.5 * GiB)).toBe('1.5 GiB')
    expect(formatBytes(2 * GiB)).toBe('2 GiB')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(100)).toBe('100 B')
  })

  it('writes cpus with the right plural', () => {
    expect(formatCpus(500)).toBe('0.5 cpus')
    expect(formatCpus(1000)).toBe('1 cpu')
    expect(formatCpus(2000)).toBe('2 cpus')
  })
})
