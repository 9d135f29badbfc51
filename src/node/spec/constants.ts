// The limits of a service spec, in one place so the schema, the messages and the
// tests agree. They bound what one API request can ask the cluster to do.

export const MAX_NAME_LENGTH = 63
export const MAX_REPLICAS = 1000
export const MAX_PORTS = 64
export const MIN_PORT = 1
export const MAX_PORT = 65535
/** Items of `command` and of `health.cmd`. */
export const MAX_COMMAND_ITEMS = 256
export const MIN_RETRIES = 1
export const MAX_RETRIES = 100
/** Longest HTTP health path; it becomes a request line. */
export const MAX_HEALTH_PATH_LENGTH = 2048

/**
 * Longest health duration. Timers take at most 2^31-1 ms and fire at once beyond
 * it, so a longer interval would turn into a busy probe loop; a day is plenty.
 */
export const MAX_HEALTH_DURATION_MS = 24 * 60 * 60 * 1000

/** Labels under this prefix are written by meshd itself (runtime LABELS). */
export const RESERVED_LABEL_PREFIX = 'meshd.'

/** Keys that reach Object.prototype when assigned; never accepted anywhere in a spec. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** What resolveHealth fills in when the spec leaves a field out (Docker's are far slower). */
export const HEALTH_DEFAULTS = {
  intervalMs: 1000,
  timeoutMs: 1000,
  retries: 3,
  startPeriodMs: 0,
  path: '/'
} as const

/** Placement constraints per service. */
export const MAX_CONSTRAINTS = 32
/** Largest reservation a replica may ask for: cpus, memory in bytes (1 TiB). */
export const MAX_CPUS = 1024
export const MAX_MEMORY = 2 ** 40

/** Smallest cpu limit: Docker's, a CFS quota of 1 ms per 100 ms period. */
export const MIN_CPUS_LIMIT = 0.01
/**
 * Smallest memory limit: Docker refuses less ("Minimum memory limit allowed is 6MB",
 * linuxMinMemory = 6 MiB), so a smaller one would be accepted here and fail every start.
 */
export const MIN_MEMORY_LIMIT = 6 * 2 ** 20
/** Largest pids limit: the kernel never has more pids than PID_MAX_LIMIT (2^22 on 64-bit). */
export const MAX_PIDS = 2 ** 22

/** Longest update delay or monitor, restart delay or window: one hour. */
export const MAX_UPDATE_DURATION_MS = 3_600_000

/** Most restarts a restart policy may allow in its window. */
export const MAX_RESTART_ATTEMPTS = 1000

/** Replicas of a service whose spec does not say. */
export const DEFAULT_REPLICAS = 1

/** Service names or patterns one deployer token may be limited to. */
export const MAX_TOKEN_SERVICES = 64

/** The longest a token may live (10 years). */
export const MAX_TOKEN_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000

/** Entries of a service's allowFrom. */
export const MAX_ALLOW_FROM = 64

/** Secrets and configs one service may mount, each. */
export const MAX_FILE_REFS = 64
/** The longest target path of a secret or config file. */
export const MAX_TARGET_LENGTH = 1024
/** Default file modes: a secret readable by its owner only, a config by everyone. */
export const DEFAULT_SECRET_MODE = 0o400
export const DEFAULT_CONFIG_MODE = 0o444
/** Where a secret whose target is a plain file name goes, as in Swarm and Compose. */
export const SECRETS_DIR = '/run/secrets'
/** The largest secret or config content (as Swarm's 500 KB, Kubernetes' 1 MiB). */
export const MAX_STORED_BYTES = 512 * 1024

/** Volumes and tmpfs mounts one service may have, each. */
export const MAX_VOLUMES = 16
/** Smallest tmpfs: one page (the kernel rounds a size up to whole pages). */
export const MIN_TMPFS_SIZE = 4096
/**
 * Backups: at most one a minute (each archives every volume of every slot), at least one
 * a week (a backup bounds what `onNodeLoss: restore` loses; a longer gap would also pass
 * setTimeout's 2^31-1 ms), and at most 1000 kept per slot.
 */
export const MIN_BACKUP_EVERY_MS = 60_000
export const MAX_BACKUP_EVERY_MS = 7 * 24 * 3_600_000
export const MAX_BACKUPS_KEPT = 1000

/** The longest `user` ("name:group" or "uid:gid"), as Linux user names are short. */
export const MAX_USER_LENGTH = 256
/** The longest stopGracePeriod: a replica that needs more to stop is better killed. */
export const MAX_STOP_GRACE_MS = 3_600_000
/** Entries of a service's dependsOn. */
export const MAX_DEPENDS_ON = 64
/**
 * The signals a replica may be asked to stop with: those a process can catch to shut
 * down, and SIGKILL. SIGSTOP and the fault signals (SIGSEGV, …) never end a process cleanly.
 */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGKILL', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGPWR', 'SIGABRT', 'SIGALRM'] as const

/** Autoscale targets: a CPU percentage (of a limit, or above 100 of a reservation), connections, new connections per second. */
export const MAX_AUTOSCALE_CPU = 1000
export const MAX_AUTOSCALE_CONNECTIONS = 1_000_000
export const MAX_AUTOSCALE_RPS = 1_000_000
/** The longest scale-up or scale-down window: one hour (the scale-down history is kept that long). */
export const MAX_AUTOSCALE_WINDOW_MS = 3_600_000

/** Ingress routes (host and path) one service may claim. */
export const MAX_INGRESS_RULES = 32

/** The longest ingress path prefix. */
export const MAX_INGRESS_PATH_LENGTH = 1024
