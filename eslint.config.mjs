import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The data layer is async (issue 14): a DB call that isn't awaited is a write that may land
    // after the answer, or a failure nobody sees. Type-aware rules catch every such promise.
    files: ["src/**/*.ts", "src/**/*.tsx", "test/**/*.ts", "bench/**/*.ts", "e2e/**/*.ts", "instrumentation.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/await-thenable": "error",
    },
  },
  {
    // Domain code does not import HTTP code (test/architecture/import-graph.test.ts).
    files: ["src/lib/**/*.{ts,tsx,mts}"],
    ignores: ["src/lib/http/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/http/*", "@/lib/http/*"], message: "src/lib outside http/ must not import HTTP code; use errors.ts / validation.ts." }] },
      ],
    },
  },
  { ignores: [".next/**", "node_modules/**", "data/**", "next-env.d.ts", "drizzle/**"] },
];

export default config;
