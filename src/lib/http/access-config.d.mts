/** Types for access-config.mjs (a re-export of src/lib/config/access-config.mjs). */
export * from "../config/access-config.mjs";
