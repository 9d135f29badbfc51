export { RolloutDriver } from './driver.ts'
export type { RolloutDriverInit } from './driver.ts'
