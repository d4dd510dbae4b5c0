/** Builds the handset page into `outdir` (tools/web-build.mjs). */
export function buildWeb(outdir: string): Promise<void>;
