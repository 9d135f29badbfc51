/** The rollout driver looks at the rollouts it coordinates this often (besides every document change). */
export const ROLLOUT_TICK_MS = 250
