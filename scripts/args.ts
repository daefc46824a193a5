// Flags of `npm start` and `npm run deploy`: each taken out of argv, the rest goes to wrangler.

/** Removes `name <value>` from args and returns the value; exits 2 when the value is missing. */
export function takeFlag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) {
    console.error(`[gateway] ${name} needs a value`);
    process.exit(2);
  }
  args.splice(i, 2);
  return value;
}

/** Removes a boolean switch from args; true when it was there. */
export function takeSwitch(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}
