/** How often a node looks for members to supersede or reap. */
export const JANITOR_MS = 1000
