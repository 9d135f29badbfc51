// Placement constraints in SwarmKit's syntax: `node.name==x`, `node.id!=y`,
// `node.labels.zone==a`. Whitespace around the parts is ignored.

import type { Constraint, PlacementMember } from './types.ts'

const LABEL_KEY = /^[A-Za-z0-9](?:[A-Za-z0-9_./-]*[A-Za-z0-9])?$/
const EXPECTED = 'expected node.id, node.name or node.labels.<key>, then == or !=, then a value'

/** Parses one constraint; throws an Error saying what is wrong with it. */
export function parseConstraint (text: string): Constraint {
  if (typeof text !== 'string' || text.trim() === '') throw new Error(`empty constraint: ${EXPECTED}`)
  const eq = text.indexOf('==')
  const ne = text.indexOf('!=')
  if (eq < 0 && ne < 0) throw new Error(`constraint "${text}" has no operator: ${EXPECTED}`)
  const at = eq < 0 ? ne : ne < 0 ? eq : Math.min(eq, ne)
  const op = text.startsWith('==', at) ? '==' : '!='
  const field = text.slice(0, at).trim()
  const value = text.slice(at + 2).trim()
  if (value.includes('==') || value.includes('!=')) throw new Error(`constraint "${text}" has more than one operator: ${EXPECTED}`)
  if (value === '') throw new Error(`constraint "${text}" has no value after ${op}`)
  const { subject, key } = parseField(text, field)
  return { text: `${field}${op}${value}`, subject, key, op, value }
}

function parseField (text: string, field: string): { subject: Constraint['subject'], key: string } {
  if (field === 'node.id') return { subject: 'id', key: '' }
  if (field === 'node.name' || field === 'node.hostname') return { subject: 'name', key: '' }
  if (field.startsWith('node.labels.')) {
    const key = field.slice('node.labels.'.length)
    if (!LABEL_KEY.test(key)) throw new Error(`constraint "${text}" has an invalid label key "${key}"`)
    return { subject: 'label', key }
  }
  throw new Error(`constraint "${text}" has an unknown field "${field}": ${EXPECTED}`)
}

/** Whether `member` satisfies `constraint`; a missing label satisfies only `!=`. */
export function matchesConstraint (constraint: Constraint, member: PlacementMember): boolean {
  let actual: string | undefined
  if (constraint.subject === 'id') actual = member.id
  else if (constraint.subject === 'name') actual = member.name
  else actual = Object.hasOwn(member.labels, constraint.key) ? member.labels[constraint.key] : undefined
  return (actual === constraint.value) === (constraint.op === '==')
}
