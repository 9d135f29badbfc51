/** Where the engine listens when neither socketPath nor DOCKER_HOST says otherwise. */
export const DEFAULT_SOCKET_PATH = '/var/run/docker.sock'

/** Seconds between SIGTERM and SIGKILL when a replica is removed. */
export const DEFAULT_GRACE_SECONDS = 2

/** An engine that takes longer than this to answer /_ping is treated as down. */
export const PING_TIMEOUT_MS = 2_000

/** Default limit for a command run with exec(). */
export const EXEC_TIMEOUT_MS = 10_000

/** Bytes of exec output kept; health commands that print megabytes must not cost memory. */
export const EXEC_OUTPUT_CAP = 64 * 1024

/** The event stream reconnects after 250 ms, doubling up to 5 s while the engine is away. */
export const WATCH_BACKOFF_MIN_MS = 250
export const WATCH_BACKOFF_MAX_MS = 5_000

/** How long a successful image lookup is trusted before the next start asks again. */
export const IMAGE_CACHE_MS = 30_000

/**
 * Processes and threads one replica may have at once when its spec sets no pids limit.
 * Docker's own default is none, so one fork bomb takes the node's whole pid space
 * (pid_max is 32768 on most kernels) and every other replica with it. 4096 is far above
 * what a service uses (each thread counts: a busy JVM or a Postgres with hundreds of
 * backends stays well under it) and an eighth of that pid_max.
 */
export const DEFAULT_PIDS_LIMIT = 4096

/**
 * Every replica logs to json-file (what `docker logs` reads), whatever the engine's
 * default driver is, rotated at 10 MB and 3 files: at most 30 MB of logs per replica.
 */
export const LOG_DRIVER = 'json-file'
export const LOG_MAX_SIZE = '10m'
export const LOG_MAX_FILES = 3
