export declare const Q: Readonly<{
  plain: 'plain'; grouped: 'grouped'; unique: 'unique'; delayed: 'delayed'
  stage1: 'stage1'; stage2: 'stage2'; parking: 'parking'; moved: 'moved'
}>
export declare const GROUPS: readonly string[]
export declare const UNIQUE_KEYS: readonly string[]
export declare const PLAIN_ATTEMPTS: number
export declare const MANY_ATTEMPTS: number
export declare const KEEP_COMPLETED: number
export declare const BUFFER_RECORDS: number
