import type { Section } from '../section.js';
import { aggregationSection } from './aggregation.js';
import { floorSection } from './floor.js';
import { ledgerSection } from './ledger.js';
import { robustnessSection } from './robustness.js';
import { signingSection } from './signing.js';

/**
 * Every section, in the order they run. `floor` comes first: later sections state ratios to
 * its baselines. Add a section by writing `sections/<name>.ts` and listing it here.
 */
export const SECTIONS: readonly Section[] = [
  floorSection,
  ledgerSection,
  signingSection,
  aggregationSection,
  robustnessSection,
];
