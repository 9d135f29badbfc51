// Volume backups: the encrypted store of the backups a node keeps for others, and the
// part that takes them on schedule, stores them and hands them out for a restore.

export { BackupStore } from './store.ts'
export { openArchive, sealArchive, storeKeyOf, ARCHIVE_MAGIC } from './archive-file.ts'
export type { BackupName } from './store.ts'
export { BackupRunner, parseBackupResource, BACKUP_CHECK_MS } from './runner.ts'
export type { BackupRunnerInit } from './runner.ts'
