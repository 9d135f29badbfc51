// Real network faults between loopback addresses: iptables DROP rules (a partition)
// that are always removed again, even when a test fails.

import { execFileSync } from 'node:child_process'

const installed: string[][] = []

/** Drops every packet between each address of `a` and each address of `b`, both ways. */
export function partition (a: string[], b: string[]): void {
  for (const x of a) {
    for (const y of b) {
      for (const [source, destination] of [[x, y], [y, x]] as const) {
        const rule = ['INPUT', '-s', source, '-d', destination, '-j', 'DROP']
        execFileSync('iptables', ['-I', ...rule])
        installed.push(rule)
      }
    }
  }
}

/** Removes every rule partition() installed. */
export function heal (): void {
  for (const rule of installed.splice(0)) {
    try {
      execFileSync('iptables', ['-D', ...rule], { stdio: 'ignore' })
    } catch {
      // Already gone.
    }
  }
}
