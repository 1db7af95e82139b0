/**
 * Sets the element's CSS custom states (`:state(name)`) to exactly those of `names` that `isOn` says.
 * Chromium before 125 accepted only `--name` states; those are used there.
 */
export function setStates(internals: ElementInternals, names: readonly string[], isOn: (name: string) => boolean): void {
  const { states } = internals;
  for (const name of names) {
    const on = isOn(name);
    try {
      if (on) states.add(name);
      else states.delete(name);
    } catch {
      if (on) states.add(`--${name}`);
      else states.delete(`--${name}`);
    }
  }
}
