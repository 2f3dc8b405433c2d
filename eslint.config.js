// ESLint 9 flat config.
// - TypeScript in src/** and example/convex/**: typescript-eslint's type-checked rules
//   (projectService picks the nearest tsconfig.json: ./tsconfig.json for src/,
//   example/convex/tsconfig.json for the example app).
// - Convex's own rules (@convex-dev/eslint-plugin "recommended") on the component
//   (src/component) and on the example app (example/convex).
// - Plain JS/MJS tooling scripts: @eslint/js recommended with Node globals.
import convexPlugin from "@convex-dev/eslint-plugin";
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

const tsFiles = ["src/**/*.ts", "example/convex/**/*.ts"];
const convexFiles = ["src/component/**/*.ts", "example/convex/**/*.ts"];

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/node_modules/**",
      "**/_generated/**",
      "coverage/**",
      ".ci-out/**",
      // Root-level tool configs (vitest, eslint itself) are not part of the product.
      "*.config.{js,mjs,cjs,ts,mts}",
    ],
  },

  // Tooling scripts (scripts/*.mjs etc.): untyped JS.
  {
    files: ["**/*.{js,mjs,cjs}"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: { ...globals.node },
    },
    rules: {
      ...js.configs.recommended.rules,
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },

  // TypeScript, type-checked.
  ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: tsFiles })),
  {
    files: tsFiles,
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      // The client's public types mirror upstream @convex-dev/workflow and use `any`
      // deliberately (FunctionReference<..., any>, RegisteredMutation<..., any> and the like).
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // Convex handlers are `async` by convention (their types ask for a Promise) even when a
      // particular handler awaits nothing.
      "@typescript-eslint/require-await": "off",
      // Rules that catch real bugs: keep as errors.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
    },
  },

  // Convex rules on Convex function directories. The plugin's recommended config only
  // matches "**/convex/**/*.ts"; point it at the component directory as well.
  ...convexPlugin.configs.recommended.map((c) => ({ ...c, files: convexFiles })),
);
