/** Types of build-freshness.mjs (plain JavaScript, so `npm start` needs no TypeScript). */
export declare const ROOT: string;
export declare function mtimeOf(path: string): Promise<number>;
export declare function staleBuild(root?: string): Promise<'missing' | 'older than the sources' | undefined>;
