// Backups of the cluster's durable state (`meshd cluster backup|restore`): the file, its
// checksum and signature (format.ts), and the checked, one-transaction restore (restore.ts).

export { BACKUP_FORMAT, BACKUP_KINDS, backupKeyOf, backupText, backupTextProblem, createBackup, openBackup } from './format.ts'
export type { BackupContent, BackupFile, BackupKind, ClusterRecords } from './format.ts'
export { assertRestorable, checkRecords, restoreRecords } from './restore.ts'
export type { RestoreSummary } from './restore.ts'
