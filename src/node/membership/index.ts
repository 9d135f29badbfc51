// Members that leave for good: removed by an operator (meshd node rm), superseded by a
// node that took their name and address, or reaped after being dead too long.

export { MemberJanitor } from './janitor.ts'
export type { JanitorInit } from './janitor.ts'
export { removeMember } from './remove.ts'
