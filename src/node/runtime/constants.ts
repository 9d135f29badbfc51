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

/**
 * Where a node's replica network comes from when no subnet is given: 10.208.0.0/12
 * (10.208.0.0–10.223.255.255), 256 /20s. Inside 10/8 but far from the 10.0–10.10 ranges
 * home routers, VPNs and cloud VPCs default to, and apart from Docker's own default pools
 * (172.17–172.31/16, 192.168/20s), so it rarely shadows a route the host already has.
 */
export const REPLICA_POOL = '10.208.0.0/12'

/** Each node's replica network is a /20 of the pool: 4096 addresses, 256 nodes per engine or LAN before the pool runs out. */
export const REPLICA_SUBNET_PREFIX = 20

/**
 * Containers get addresses only from the first /22 of the subnet (1022 of them, all but the
 * network address and the gateway: far more replicas than one engine runs); the rest of the
 * subnet is the node's service addresses, which Docker never hands out.
 */
export const REPLICA_RANGE_PREFIX = 22

/** A given subnet may be larger than a /20, up to a /16; a bigger bridge only widens what the host routes to it. */
export const MIN_GIVEN_SUBNET_PREFIX = 16

/**
 * The Linux bridge interface of a replica network is this prefix and 8 hex digits of a
 * hash of the node name: 11 characters, under the kernel's 15 (IFNAMSIZ 16 with its NUL),
 * which a node name (free text, any length) would overrun; `ip link` shows it as meshd's.
 */
export const BRIDGE_NAME_PREFIX = 'msh'

/**
 * The search domain of every replica: "web" and "web.meshd" both name the service. A name
 * of its own, not a real TLD, so a lookup never leaves the node by accident.
 */
export const REPLICA_DNS_DOMAIN = 'meshd'

/**
 * Where a node keeps its replicas' secret and config files by default, in a directory of
 * its own (meshd-<node>): /dev/shm is a tmpfs on every Linux, so the files live in memory
 * only and are gone after a reboot.
 */
export const FILES_PARENT = '/dev/shm'

/** statfs(2)'s f_type of a tmpfs (TMPFS_MAGIC in linux/magic.h). */
export const TMPFS_MAGIC = 0x01021994

/**
 * The top directory of a volume's archive (exportVolume, importVolume): its first entry is
 * "meshd-volume/", the volume's own directory with its owner and mode, then everything
 * under it. Not "./": Docker applies no header to the directory it extracts into.
 */
export const VOLUME_ARCHIVE_ROOT = 'meshd-volume'
