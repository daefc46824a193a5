// esbuild bundles CSS imports into app-<hash>.css.
declare module "*.css";
