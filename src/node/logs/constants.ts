// The numbers of `meshd service logs`.

/** A member that has not answered (or sent its next line of history) within this long is reported unreachable. */
export const MEMBER_DEADLINE_MS = 3000

/** While following, an empty line goes out after this long without one, so no idle timeout cuts a quiet stream. */
export const KEEPALIVE_MS = 15_000

/** How often a member looks for replicas that started since it began following. */
export const DISCOVER_MS = 1000

/** While following, how often the serving node looks for members it does not follow (lost, or joined since) to ask again. */
export const REJOIN_MS = 2000

/** A line longer than this is cut in pieces (each a line of its own): memory stays bounded whatever a replica prints. */
export const LINE_MAX_BYTES = 16 * 1024

/** The largest --tail accepted. */
export const TAIL_MAX = 100_000

/** The kind of the transfer channel's resources that are a service's log on a member: logs/SERVICE/FOLLOW/TAIL/SINCE. */
export const RESOURCE_KIND = 'logs'
