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
