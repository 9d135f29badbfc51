// The slice of madge's API the architecture test uses (madge ships no types).
declare module 'madge' {
  interface MadgeResult {
    circular: () => string[][]
    obj: () => Record<string, string[]>
  }
  interface MadgeConfig {
    fileExtensions?: string[]
    tsConfig?: string
  }
  export default function madge (path: string, config?: MadgeConfig): Promise<MadgeResult>
}
