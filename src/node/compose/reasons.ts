// Why meshd does not honour a Compose key: one sentence each, shown in the note that
// `meshd stack config` prints for every such key in a file.

const ISOLATION = 'replicas run in namespaces of their own with Docker\'s defaults'
const RESOURCES = 'use deploy.resources (limits and reservations), which meshd honours'
const ONE_NETWORK = 'meshd has one mesh network: every service of the stack reaches the others by their short name; restrict who may connect with x-meshd.allowFrom'

/** Service keys meshd reads but does not honour. */
export const SERVICE_REASONS: Readonly<Record<string, string>> = {
  build: 'meshd runs images and builds none: build and push the image, then name it in image:',
  container_name: 'replicas are named by meshd (one name per replica, across nodes)',
  networks: ONE_NETWORK,
  network_mode: 'replicas always run on their node\'s meshd network',
  links: 'not needed: every service of the stack is reachable by its name',
  external_links: 'not needed: services reach each other by name through the mesh',
  hostname: 'the hostname of a replica is set by Docker',
  domainname: 'the hostname of a replica is set by Docker',
  dns: 'replicas use meshd\'s DNS (names of the mesh, the rest forwarded)',
  dns_search: 'replicas search the stack\'s domain, then the mesh\'s (meshd sets it)',
  dns_opt: 'replicas use meshd\'s DNS with its own options',
  extra_hosts: 'no /etc/hosts entries are added: names resolve through meshd\'s DNS',
  mac_address: 'addresses on the replica network are given by meshd',
  cap_add: 'replicas run with Docker\'s default capabilities',
  cap_drop: 'replicas run with Docker\'s default capabilities',
  privileged: 'meshd never runs a privileged replica',
  security_opt: 'replicas run with Docker\'s default security options',
  devices: 'meshd passes no host device to a replica: a replica may run on any node',
  device_cgroup_rules: 'meshd passes no host device to a replica',
  gpus: 'meshd passes no GPU to a replica',
  sysctls: 'not set: Docker\'s defaults apply',
  ulimits: 'not set: Docker\'s defaults apply (use deploy.resources.limits.pids for processes)',
  pid: ISOLATION,
  ipc: ISOLATION,
  uts: ISOLATION,
  userns_mode: ISOLATION,
  cgroup: ISOLATION,
  cgroup_parent: 'meshd places replicas in Docker\'s default cgroup',
  isolation: ISOLATION,
  runtime: 'replicas run with the engine\'s default runtime',
  init: 'no init process is added: the image\'s entrypoint runs as PID 1',
  tty: 'replicas run without a terminal',
  stdin_open: 'replicas run without standard input',
  attach: 'meshd does not attach to replicas\' output',
  read_only: 'the root filesystem of a replica stays writable',
  shm_size: '/dev/shm keeps Docker\'s default size',
  storage_opt: 'replicas use the engine\'s default storage options',
  logging: 'meshd sets each replica\'s logging itself (json-file, rotated)',
  cpus: RESOURCES,
  cpu_count: RESOURCES,
  cpu_percent: RESOURCES,
  cpu_shares: RESOURCES,
  cpu_quota: RESOURCES,
  cpu_period: RESOURCES,
  cpu_rt_period: RESOURCES,
  cpu_rt_runtime: RESOURCES,
  cpuset: RESOURCES,
  mem_limit: RESOURCES,
  mem_reservation: RESOURCES,
  mem_swappiness: RESOURCES,
  memswap_limit: RESOURCES,
  pids_limit: RESOURCES,
  blkio_config: 'block I/O is not limited by meshd',
  oom_kill_disable: 'the kernel\'s OOM killer stays on (a limit must be enforceable)',
  oom_score_adj: 'replicas keep the default OOM score',
  group_add: 'set the user and group with user:',
  platform: 'each node pulls the image for its own platform',
  profiles: 'every service of the file is deployed: profiles select none',
  pull_policy: 'each node pulls the image it needs when it starts a replica',
  pull_refresh_after: 'each node pulls the image it needs when it starts a replica',
  extends: 'not supported: copy the keys in (YAML anchors and merge keys work)',
  volumes_from: 'replicas share no volumes with other containers',
  credential_spec: 'Windows containers only',
  develop: 'compose watch is for development; meshd deploys images',
  post_start: 'lifecycle hooks are not run by meshd',
  pre_stop: 'lifecycle hooks are not run by meshd (use stop_signal and stop_grace_period)',
  annotations: 'not used by meshd',
  label_file: 'not read: write the labels under labels:',
  provider: 'providers are not run by meshd',
  models: 'models are not provided by meshd',
  use_api_socket: 'meshd never gives a replica the engine\'s socket'
}

/** Top-level keys meshd reads but does not honour. */
export const TOP_LEVEL_REASONS: Readonly<Record<string, string>> = {
  version: 'obsolete, and ignored as by docker compose',
  include: 'not supported: merge the included files into this one',
  networks: ONE_NETWORK,
  models: 'models are not provided by meshd'
}

/**
 * The fields of a meshd spec that are not Compose keys, each with what to write in a
 * Compose file instead (the old `deploy -f` services map took meshd specs).
 */
export const MESHD_ONLY_KEYS: Readonly<Record<string, string>> = {
  name: 'the service\'s name is its key under services:',
  env: 'write environment:',
  replicas: 'write deploy.replicas',
  health: 'write healthcheck:',
  mode: 'write deploy.mode',
  constraints: 'write deploy.placement.constraints',
  maxPerNode: 'write deploy.placement.max_replicas_per_node',
  resources: 'write deploy.resources',
  update: 'write deploy.update_config',
  workingDir: 'write working_dir:',
  stopSignal: 'write stop_signal:',
  stopGracePeriod: 'write stop_grace_period:',
  dependsOn: 'write depends_on:',
  allowFrom: 'write it under x-meshd',
  policy: 'write it under x-meshd',
  backup: 'write it under x-meshd'
}
