import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MACHINE_DOC, withDiagram } from '../../scripts/machine-diagram.js';

describe('docs/machine.md', () => {
  it('holds the diagram generated from the current machine (run `npm run diagram` after changing it)', () => {
    const doc = readFileSync(MACHINE_DOC, 'utf8');
    expect(doc).toBe(withDiagram(doc));
    expect(doc).toContain('watching_requires_action_submitting --> watching_requires_action_submitted');
  });
});
