// The numbers of `meshd service logs`.

/** A member that has not answered (or sent its next line of history) within this long is reported unreachable. */
export const MEMBER_DEADLINE_MS = 3000

/** While following, an empty line goes out after this long without one, so no idle timeout cuts a quiet stream. */
export const KEEPALIVE_MS = 15_000

/** How often a member looks for replicas that started since it began following. */
export const DISCOVER_MS = 1000

/** While following, how often the serving node looks for members it does not follow (lost, or joined since) to ask again. */
export const REJOIN_MS = 2000

/**
 * Following, each live line is held this long so that lines of several members arriving
 * within it come out in time order: a member's frames go out at most a second apart
 * (transfer's PARTIAL_FRAME_MS), and a little more for the way.
 */
export const HOLD_MS = 1500

/** The most bytes of live lines held for ordering; beyond it the oldest goes out at once. */
export const HOLD_MAX_BYTES = 1024 * 1024

/** A line longer than this is cut in pieces (each a line of its own): memory stays bounded whatever a replica prints. */
export const LINE_MAX_BYTES = 16 * 1024

/** The largest --tail accepted. */
export const TAIL_MAX = 100_000

/** The kind of the transfer channel's resources that are a service's log on a member: logs/SERVICE/FOLLOW/TAIL/SINCE. */
export const RESOURCE_KIND = 'logs'
