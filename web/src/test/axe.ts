// Accessibility check with axe-core (through vitest-axe). Colour contrast needs real CSS
// layout, which happy-dom does not do: it is checked in the browser (e2e), not here.
import { expect } from "vitest";
import { axe } from "vitest-axe";

export async function expectNoAxeViolations(root: Element = document.body): Promise<void> {
  const results = await axe(root, { rules: { "color-contrast": { enabled: false } } });
  const found = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(found).toEqual([]);
}
