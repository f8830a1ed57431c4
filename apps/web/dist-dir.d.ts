/** Absolute path of the built web UI (index.html, ops.html, assets/). */
export declare const webDistDir: string;
